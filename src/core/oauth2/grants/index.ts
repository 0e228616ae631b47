import { DEVICE_CODE_GRANT } from '../../clients/client.js';
import type { OAuth2Deps } from '../deps.js';
import { authorizationCodeGrant } from './authorization-code.js';
import { clientCredentialsGrant } from './client-credentials.js';
import { deviceCodeGrant } from './device-code.js';
import type { GrantHandler } from './grant.js';
import { passwordGrant } from './password.js';
import { refreshTokenGrant } from './refresh-token.js';

export type { GrantHandler, GrantRequest, GrantResult } from './grant.js';

/** Grant handlers by grant_type; composed here, once (the token endpoint dispatches on this map). */
export const GRANT_HANDLERS: Readonly<Record<string, GrantHandler<OAuth2Deps>>> = {
  authorization_code: authorizationCodeGrant,
  password: passwordGrant,
  refresh_token: refreshTokenGrant,
  [DEVICE_CODE_GRANT]: deviceCodeGrant,
  client_credentials: clientCredentialsGrant,
};
