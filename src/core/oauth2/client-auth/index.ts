import { type Client, secretContext } from '../../clients/client.js';
import { constantTimeEqual } from '../../crypto/constant-time.js';
import type { ClientStore } from '../../ports.js';
import { assertApproved } from '../cut-off.js';
import { InvalidClient, InvalidRequest } from '../errors.js';
import { clientSecretBasic } from './client-secret-basic.js';
import { clientSecretPost } from './client-secret-post.js';
import { none } from './none.js';
import type { ClientAuthInput, ClientAuthMethod, ClientAuthMethodName, PresentedCredentials } from './types.js';

export type { ClientAuthInput, ClientAuthMethodName } from './types.js';

/** Tried in this order; a request carrying two different methods is refused (RFC 6749 §2.3). */
const METHODS: readonly ClientAuthMethod[] = [clientSecretBasic, clientSecretPost, none];

export interface ClientAuthDeps {
  clients: Pick<ClientStore, 'get'>;
  secrets: { open(sealed: string, context: string): string };
}

export interface AuthenticatedClient {
  client: Client;
  method: ClientAuthMethodName;
}

const MAX_CLIENT_ID = 200;

/**
 * Authenticates the client of a token-style request. The secret check is a decryption and a
 * constant-time comparison — cheap on purpose, no password hash on this path. Only an approved
 * OAuth 2.0 / OIDC client passes; its status is named only after its credentials were proven.
 */
export async function authenticateClient(deps: ClientAuthDeps, input: ClientAuthInput): Promise<AuthenticatedClient> {
  const found: PresentedCredentials[] = [];
  for (const m of METHODS) {
    const c = m.extract(input);
    if (c) found.push(c);
  }
  const basic = found.find((c) => c.method === 'client_secret_basic');
  if (basic && found.some((c) => c.method === 'client_secret_post')) {
    throw new InvalidRequest('use one client authentication method: Basic credentials and client_secret in the body were both sent');
  }
  // A body client_id next to Basic credentials is tolerated when it names the same client.
  if (basic && input.body.client_id !== undefined && input.body.client_id !== basic.clientId) {
    throw new InvalidRequest('client_id in the body differs from the client in the Basic credentials');
  }
  const presented = basic ?? found[0];
  if (!presented || presented.clientId === '') {
    throw new InvalidClient('client authentication is required: use HTTP Basic (client_secret_basic), client_secret_post, or client_id for a public client');
  }
  const usedBasic = presented.method === 'client_secret_basic';
  if (presented.clientId.length > MAX_CLIENT_ID) throw new InvalidClient('unknown client', { basic: usedBasic });

  const client = await deps.clients.get(presented.clientId);
  if (!client || client.type === 'oauth1') {
    // Same work as a real check, so timing does not tell which client ids exist.
    constantTimeEqual(presented.secret ?? '', 'x'.repeat(43));
    throw new InvalidClient('unknown client', { basic: usedBasic });
  }
  if (client.isPublic) {
    if (presented.secret !== null) throw new InvalidClient('this is a public client: it has no secret; send client_id only', { basic: usedBasic });
  } else {
    if (presented.secret === null) {
      throw new InvalidClient('this client is confidential: authenticate with client_secret_basic or client_secret_post', { basic: usedBasic });
    }
    if (!secretMatches(deps, client, presented.secret)) throw new InvalidClient('client authentication failed', { basic: usedBasic });
  }
  const required = client.metadata.token_endpoint_auth_method;
  if (typeof required === 'string' && required !== presented.method) {
    throw new InvalidClient(`this client is registered to authenticate with ${required}`, { basic: usedBasic });
  }
  assertApproved(client, usedBasic);
  return { client, method: presented.method };
}

function secretMatches(deps: ClientAuthDeps, client: Client, secret: string): boolean {
  if (client.secretSealed === null) return false;
  let expected: string;
  try {
    expected = deps.secrets.open(client.secretSealed, secretContext(client.key));
  } catch {
    return false;
  }
  return constantTimeEqual(secret, expected);
}
