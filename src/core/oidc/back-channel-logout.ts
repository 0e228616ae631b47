import { webUriProblem } from '../clients/redirect-uri.js';
import type { GrantStore } from '../oauth2/storage.js';
import type { OutboundHttp } from '../outbound.js';
import type { ClientStore, Clock } from '../ports.js';
import { epochSeconds } from '../ports.js';
import { type IdTokens, idTokenAlg } from './id-token.js';

/** Back-Channel Logout 1.0 §2.4: the event that makes a JWT a logout token. */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** §2.4 recommends a short lifetime ("at most two minutes"). */
export const LOGOUT_TOKEN_TTL = 120;
/** §2.4: explicit typing keeps logout tokens from being mistaken for ID tokens. */
export const LOGOUT_TOKEN_TYP = 'logout+jwt';

/** Sends one form POST and returns the HTTP status; must give up after `timeoutMs`. */
export type FormPoster = (uri: string, body: string, timeoutMs: number) => Promise<number>;

/** The outcome of one delivery, for logs and metrics. */
export interface LogoutDelivery {
  clientKey: string;
  uri: string;
  status: number | null;
  error?: string;
}

export interface BackChannelDeps {
  idTokens: Pick<IdTokens, 'sign' | 'jti' | 'issuer'>;
  clients: Pick<ClientStore, 'get'>;
  grants: Pick<GrantStore, 'clientsOfSession'>;
  clock: Clock;
  post: FormPoster;
  timeoutMs: number;
  onDelivery?: (d: LogoutDelivery) => void;
}

/**
 * The poster over the app's outbound client (internal addresses refused unless allow-listed, no
 * redirect followed, bounded in time and size). §2.8: the RP answers 200 (or 204); anything
 * else, a redirect included, is a failed delivery the caller records.
 */
export function formPoster(http: OutboundHttp): FormPoster {
  return async (uri, body, timeoutMs) => {
    const res = await http.send({
      method: 'POST',
      url: uri,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
      timeoutMs,
    });
    return res.status;
  };
}

/**
 * Back-Channel Logout 1.0: when a sign-in session ends, every client that was granted something
 * in it (grants carry the session's sid) and registered a backchannel_logout_uri receives a
 * signed logout token (§2.5). Deliveries run in the background, each bounded by a timeout, so
 * ending a session never waits on an RP.
 */
export class BackChannelLogout {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly deps: BackChannelDeps) {}

  /** Called when a session ended (sign-out, RP-initiated logout); returns once deliveries have started. */
  async sessionEnded(session: { sid: string; userId: string }): Promise<void> {
    const granted = await this.deps.grants.clientsOfSession(session.sid);
    for (const clientKey of new Set(granted.map((g) => g.clientKey))) this.track(this.notify(clientKey, session));
  }

  /** Resolves when every delivery started so far has finished (shutdown, tests). */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** §2.4: iss, aud, iat, exp, jti, events, and both sub and sid. No nonce. */
  async logoutToken(client: { key: string; metadata: Record<string, unknown> }, session: { sid: string; userId: string }): Promise<string> {
    const iat = epochSeconds(this.deps.clock);
    const claims = {
      iss: this.deps.idTokens.issuer,
      sub: session.userId,
      aud: client.key,
      iat,
      exp: iat + LOGOUT_TOKEN_TTL,
      jti: this.deps.idTokens.jti(),
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
      sid: session.sid,
    };
    return this.deps.idTokens.sign(claims, idTokenAlg(client), LOGOUT_TOKEN_TYP);
  }

  private track(p: Promise<void>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private async notify(clientKey: string, session: { sid: string; userId: string }): Promise<void> {
    let uri = '';
    try {
      const client = await this.deps.clients.get(clientKey);
      const registered = client?.metadata.backchannel_logout_uri;
      if (client?.type !== 'oidc' || client.status !== 'approved' || typeof registered !== 'string') return;
      // §2.2: an absolute https URI (or http on loopback), checked again since admins set metadata freely.
      if (webUriProblem(registered) !== null) return;
      uri = registered;
      const token = await this.logoutToken(client, session);
      const status = await this.deps.post(uri, new URLSearchParams({ logout_token: token }).toString(), this.deps.timeoutMs);
      this.deps.onDelivery?.({ clientKey, uri, status });
    } catch (err) {
      this.deps.onDelivery?.({ clientKey, uri, status: null, error: err instanceof Error ? err.message : String(err) });
    }
  }
}
