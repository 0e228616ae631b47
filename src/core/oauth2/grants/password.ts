import type { OAuth2Deps } from '../deps.js';
import { InvalidGrant } from '../errors.js';
import { parseScope } from '../params.js';
import { GRANT_RESOURCES, tokenRequestResources } from '../resource-indicators.js';
import { type GrantHandler, newGrantId, wantsRefreshToken } from './grant.js';

type Deps = Pick<OAuth2Deps, 'passwords' | 'grants' | 'consents' | 'scopes' | 'clock' | 'random'>;

/** One message for every bad credential, unknown user or disabled account: nothing to enumerate. */
const GENERIC = 'the username or password is wrong, or the account cannot sign in';

/**
 * RFC 6749 §4.3: resource owner password credentials, for clients that enabled it. The one
 * password check counts guesses with the /login form and Basic (RFC 6749 §4.3.2: "MUST protect
 * the endpoint against brute force attacks"); while locked, no password is checked.
 */
export const passwordGrant = {
  publicClients: false,
  async handle({ client, params, remoteAddress }, deps: Deps) {
    const username = params.required('username', 200);
    const password = params.required('password', 1024);
    // Scope first: a malformed request never costs a password hash.
    const scopes = deps.scopes.resolve(parseScope(params.optional('scope')), client);
    const resources = tokenRequestResources(params, client);

    const outcome = await deps.passwords.check({ username, password, channel: 'password_grant', source: remoteAddress, clientKey: client.key });
    if (outcome.kind === 'locked') throw new InvalidGrant(`too many failed attempts; try again in ${Math.ceil(outcome.retryAfterSeconds / 60)} minutes`);
    if (outcome.kind === 'wrong') throw new InvalidGrant(GENERIC);
    const { user } = outcome;

    const now = deps.clock.now();
    const grant = {
      id: newGrantId(deps),
      clientKey: client.key,
      userId: user.id,
      scopes,
      grantType: 'password',
      createdAt: now,
      authTime: now,
      revokedAt: null,
      // RFC 8707 §2.2: a refresh of this grant may narrow these resources, never widen them.
      extra: resources.length > 0 ? { [GRANT_RESOURCES]: resources } : {},
    };
    await deps.grants.create(grant);
    // Listed on the user's "Authorized applications" page, where it can be revoked.
    await deps.consents.grant(user.id, client.key, scopes);
    return { grant, user, scopes, refreshToken: wantsRefreshToken(client), resources };
  },
} satisfies GrantHandler<Deps>;
