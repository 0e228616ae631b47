import type { Random } from '../ports.js';
import type { CheckDeps } from './check.js';
import type { TemporaryCredentialStore, TokenCredentialStore } from './storage.js';

/** Everything the OAuth 1.0a endpoints use; assembled once by buildOAuth1. */
export interface OAuth1Deps extends CheckDeps {
  random: Random;
  temporaries: TemporaryCredentialStore;
  tokens: TokenCredentialStore;
  /** Temporary credentials lifetime, seconds. */
  temporaryTtl: number;
  /** The protection realm named in WWW-Authenticate (§3.5.1): the issuer. */
  realm: string;
  /** Records that a consumer was used (for "Last used"); may be throttled by the caller. */
  touchClient(clientKey: string): void;
}
