import type { FastifyReply } from 'fastify';
import type { App } from '../compose.js';
import { DEVICE_COOKIE_MAX_AGE_SECONDS } from '../core/sign-in/password.js';

/** The browser's device cookie: lets it through a lock-out that guesses from elsewhere caused. */
export const DEVICE_COOKIE = 'latchkey_device';

/** Sets the fresh device cookie a successful password check returned. */
export function setDeviceCookie(app: App, reply: FastifyReply, value: string): void {
  void reply.setCookie(DEVICE_COOKIE, value, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: app.config.issuer.startsWith('https:'),
    maxAge: DEVICE_COOKIE_MAX_AGE_SECONDS,
  });
}
