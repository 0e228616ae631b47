import { InvalidClient } from '../errors.js';
import type { ClientAuthMethod } from './types.js';

/** RFC 6749 §2.3.1: form-encoded client_id and secret in HTTP Basic (RFC 7617). */
export const clientSecretBasic = {
  name: 'client_secret_basic',
  extract({ authorization }) {
    if (authorization === undefined || !/^basic /i.test(authorization)) return null;
    const encoded = authorization.slice(6).trim();
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length > 4096) {
      throw new InvalidClient('the Basic credentials are not valid base64', { basic: true });
    }
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new InvalidClient('the Basic credentials lack the ":" between client_id and secret', { basic: true });
    try {
      return { method: 'client_secret_basic', clientId: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
    } catch {
      throw new InvalidClient('the Basic credentials are not form-encoded correctly', { basic: true });
    }
  },
} satisfies ClientAuthMethod;

/** application/x-www-form-urlencoded decoding of one value ("+" is a space). */
function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}
