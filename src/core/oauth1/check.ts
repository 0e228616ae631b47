import { type Client, secretContext } from '../clients/client.js';
import { sha256Hex } from '../crypto/constant-time.js';
import type { Clock, User } from '../ports.js';
import type { SecurityEventSink } from '../security-events.js';
import { OAuth1Problem } from './problems.js';
import { collectParameters, type OAuthParameters, type SignedRequest } from './request.js';
import { signatureBaseString } from './signature/base-string.js';
import { checkSignature } from './signature/index.js';
import { rsaPublicKey } from './signature/rsa.js';
import type { NonceStore, TemporaryCredential, TokenCredential } from './storage.js';

/** Seals and opens secrets at rest (the app's SecretBox). `open` throws on a damaged value. */
export interface Sealer {
  seal(plaintext: string, context: string): string;
  open(sealed: string, context: string): string;
}

/** What checking a signed request needs, and nothing more (so tests need small fakes). */
export interface CheckDeps {
  clock: Clock;
  clients: { get(key: string): Promise<Client | undefined> };
  users: { get(id: string): Promise<User | undefined> };
  temporaries: { get(tokenHash: string): Promise<TemporaryCredential | undefined> };
  tokens: { get(tokenHash: string): Promise<TokenCredential | undefined> };
  nonces: NonceStore;
  sealer: Sealer;
  /** Accepted oauth_timestamp skew, seconds. */
  timestampWindow: number;
  /** Sealed throwaway secrets opened for unknown consumers and tokens, so their cost is the same. */
  dummies: { consumerSecret: string; tokenSecret: string };
  /** Where replayed nonces are reported (audit log, metrics). */
  events: SecurityEventSink;
}

export const DUMMY_CONSUMER_KEY = '\u0000oauth1-dummy-consumer';
export const DUMMY_TOKEN_CONTEXT = 'oauth1-token:\u0000dummy';
const DUMMY_USER_ID = 'oauth1:dummy-user';

/**
 * A consumer key as looked up: keys are printable ASCII, so anything else (NUL, controls, very long
 * values) is looked up as a key that cannot exist, doing the same work without upsetting the database.
 */
export function lookupKey(value: string): string {
  return /^[\x21-\x7e]{1,200}$/.test(value) ? value : 'oauth1:invalid-key';
}

export function temporaryContext(tokenHash: string): string {
  return `oauth1-temporary:${tokenHash}`;
}
export function tokenContext(tokenHash: string): string {
  return `oauth1-token:${tokenHash}`;
}

/** Seals the throwaway secrets once, at start-up. */
export function makeDummies(sealer: Sealer, random: () => string): CheckDeps['dummies'] {
  return {
    consumerSecret: sealer.seal(random(), secretContext(DUMMY_CONSUMER_KEY)),
    tokenSecret: sealer.seal(random(), DUMMY_TOKEN_CONTEXT),
  };
}

/** Which credentials travel in oauth_token: none (§2.1), temporary (§2.3) or token credentials (§3). */
export type TokenKind = 'none' | 'temporary' | 'token';

export interface Verified {
  params: OAuthParameters;
  client: Client;
  temporary: TemporaryCredential | undefined;
  token: TokenCredential | undefined;
  /** The user behind the token (token credentials) or who authorized the temporary credentials. */
  user: User | undefined;
}

export interface CheckOptions {
  /** Protocol parameters this endpoint needs besides the common ones. */
  required?: Array<'oauth_callback' | 'oauth_token' | 'oauth_verifier'>;
  /**
   * Endpoint-specific checks, run for every request (known consumer or not) before the verdict;
   * their problem counts only when every common check passed.
   */
  extra?: (v: Omit<Verified, 'client'> & { client: Client | undefined }) => OAuth1Problem | null;
  /** Remember the nonce (default). The verification endpoint may leave that to the resource server. */
  recordNonce?: boolean;
}

function tryOpen(sealer: Sealer, sealed: string, context: string): string | undefined {
  try {
    return sealer.open(sealed, context);
  } catch {
    return undefined;
  }
}

/**
 * Verifies a signed request (RFC 5849 §3.2). Syntax problems end early with a 400 (nothing secret
 * is involved yet). Then every credential check runs, whatever the earlier ones found: an unknown
 * consumer or token is looked up, decrypted and signed with a dummy secret like a known one, and
 * the comparison runs in constant time. Only then is one verdict chosen, and the nonce is
 * remembered (atomically, in the shared store) only for a request that passed everything else.
 * Throws OAuth1Problem; returns what the endpoint needs otherwise.
 */
export async function checkRequest(d: CheckDeps, req: SignedRequest, kind: TokenKind, options: CheckOptions = {}): Promise<Verified> {
  const params = collectParameters(req);
  const absent = (options.required ?? []).filter(
    (n) => (n === 'oauth_callback' ? params.callback : n === 'oauth_token' ? params.token : params.verifier) === undefined,
  );
  if (absent.length > 0) throw OAuth1Problem.absent(absent);
  if (kind === 'none' && params.token !== undefined) {
    throw OAuth1Problem.rejected(['oauth_token'], 'oauth_token must be empty when requesting temporary credentials');
  }

  const tokenHash = params.token === undefined ? '' : sha256Hex(params.token);
  const [client, temporary, token] = await Promise.all([
    d.clients.get(lookupKey(params.consumerKey)),
    kind === 'temporary' ? d.temporaries.get(tokenHash) : Promise.resolve(undefined),
    kind === 'token' ? d.tokens.get(tokenHash) : Promise.resolve(undefined),
  ]);
  const userId = token?.userId ?? temporary?.userId ?? DUMMY_USER_ID;
  const user = kind === 'none' ? undefined : await d.users.get(userId);

  const consumer = client?.type === 'oauth1' && client.key === params.consumerKey ? client : undefined;
  const clientSecret =
    consumer?.secretSealed != null
      ? tryOpen(d.sealer, consumer.secretSealed, secretContext(consumer.key))
      : tryOpen(d.sealer, d.dummies.consumerSecret, secretContext(DUMMY_CONSUMER_KEY));
  let tokenSecret = '';
  if (kind === 'temporary') {
    tokenSecret = temporary
      ? (tryOpen(d.sealer, temporary.secretSealed, temporaryContext(tokenHash)) ?? '')
      : (tryOpen(d.sealer, d.dummies.tokenSecret, DUMMY_TOKEN_CONTEXT) ?? '');
  } else if (kind === 'token') {
    tokenSecret = token
      ? (tryOpen(d.sealer, token.secretSealed, tokenContext(tokenHash)) ?? '')
      : (tryOpen(d.sealer, d.dummies.tokenSecret, DUMMY_TOKEN_CONTEXT) ?? '');
  }
  const registeredKey = consumer?.rsaPublicKey ? rsaPublicKey(consumer.rsaPublicKey) : null;
  const baseString = signatureBaseString(req.method, req.baseUri, params.pairs);
  const signatureOk = checkSignature({
    method: params.signatureMethod,
    baseString,
    signature: params.signature,
    clientSecret: clientSecret ?? '',
    tokenSecret,
    rsaKey: registeredKey,
  });

  const now = d.clock.now();
  const nowSeconds = Math.floor(now / 1000);
  const timestampOk = params.timestamp === undefined || Math.abs(params.timestamp - nowSeconds) <= d.timestampWindow;

  const extraProblem = options.extra ? options.extra({ params, client: consumer, temporary, token, user }) : null;

  // One verdict, in a fixed order.
  let problem: OAuth1Problem | null = null;
  if (consumer === undefined || clientSecret === undefined) {
    problem = OAuth1Problem.of('consumer_key_unknown', 'unknown consumer key');
  } else if (consumer.status !== 'approved') {
    problem = OAuth1Problem.of(
      'consumer_key_rejected',
      consumer.status === 'pending' ? 'this consumer key waits for an administrator’s approval' : 'this consumer key was disapproved',
    );
  } else if (params.signatureMethod === 'RSA-SHA1' && registeredKey === null) {
    problem = OAuth1Problem.of('signature_method_rejected', 'no RSA public key is registered for this consumer');
  } else if (kind === 'temporary' && (temporary === undefined || temporary.clientKey !== consumer.key)) {
    problem = OAuth1Problem.of('token_rejected', 'unknown temporary credentials');
  } else if (kind === 'temporary' && temporary?.usedAt != null) {
    problem = OAuth1Problem.of('token_used', 'these temporary credentials were already exchanged');
  } else if (kind === 'temporary' && temporary !== undefined && temporary.expiresAt <= now) {
    problem = OAuth1Problem.of('token_expired', 'these temporary credentials have expired');
  } else if (kind === 'token' && (token === undefined || token.clientKey !== consumer.key)) {
    problem = OAuth1Problem.of('token_rejected', 'unknown or revoked token');
  } else if (kind === 'token' && !user?.enabled) {
    problem = OAuth1Problem.of('token_revoked', 'the user who authorized this token is disabled');
  } else if (!timestampOk) {
    problem = OAuth1Problem.of('timestamp_refused', `oauth_timestamp must be within ${d.timestampWindow} s of the server's clock`, {
      oauth_acceptable_timestamps: `${nowSeconds - d.timestampWindow}-${nowSeconds + d.timestampWindow}`,
    });
  } else if (!signatureOk) {
    problem = OAuth1Problem.of('signature_invalid', 'the signature does not match');
  } else if (extraProblem) {
    problem = extraProblem;
  }
  if (problem !== null || consumer === undefined) throw problem ?? OAuth1Problem.of('consumer_key_unknown', 'unknown consumer key');

  // §3.2: a nonce/timestamp/token combination is accepted once. Kept until the timestamp leaves the window.
  if (params.nonce !== undefined && options.recordNonce !== false) {
    const key = sha256Hex([consumer.key, params.token ?? '', String(params.timestamp ?? ''), params.nonce].join('\n'));
    const expiresAt = ((params.timestamp ?? nowSeconds) + d.timestampWindow + 1) * 1000;
    if (!(await d.nonces.remember(key, expiresAt))) {
      await d.events({ kind: 'nonce_replayed', clientKey: consumer.key, source: req.remoteAddress, details: { timestamp: params.timestamp ?? null } });
      throw OAuth1Problem.of('nonce_used', 'this nonce was already used with this timestamp and token');
    }
  }
  return { params, client: consumer, temporary, token, user };
}
