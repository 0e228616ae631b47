import { DEVICE_CODE_GRANT } from '../../clients/client.js';
import { sha256Hex } from '../../crypto/constant-time.js';
import { randomToken } from '../../crypto/random.js';
import type { OAuth2Deps } from '../deps.js';
import { UnauthorizedClient } from '../errors.js';
import { parseScope } from '../params.js';
import { GRANT_RESOURCES, tokenRequestResources } from '../resource-indicators.js';
import { formatUserCode, generateUserCode } from '../user-code.js';
import { answer, authenticate, type ClientFamily, checkFamily, type EndpointRequest, type EndpointResponse, formParams, json } from './request.js';

export const DEVICE_VERIFICATION_PATH = '/device';

/**
 * RFC 8628 §3.1–3.2: a device asks for a device_code and a user_code; the user enters the code at
 * /device. The device_code is stored only as its hash.
 */
export function deviceAuthorizationEndpoint(deps: OAuth2Deps, options: { family: ClientFamily }) {
  return (req: EndpointRequest): Promise<EndpointResponse> =>
    answer(async () => {
      const params = formParams(req);
      const { client } = await authenticate(deps, req, params);
      checkFamily(options.family, client.type);
      if (!client.grantTypes.includes(DEVICE_CODE_GRANT)) throw new UnauthorizedClient('this client is not registered for the device authorization grant');
      const scopes = deps.scopes.resolve(parseScope(params.optional('scope')), client);
      // RFC 8707 §2: resources named here are granted with the approval, so refresh tokens carry them.
      const resources = tokenRequestResources(params, client);

      const deviceCode = randomToken(deps.random, 256);
      const now = deps.clock.now();
      const ttl = deps.settings.deviceCodeTtl;
      let userCode = '';
      for (let attempt = 0; ; attempt++) {
        userCode = generateUserCode(deps.random);
        const stored = await deps.deviceCodes.insert({
          hash: sha256Hex(deviceCode),
          userCode,
          clientKey: client.key,
          scopes,
          status: 'pending',
          userId: null,
          grantId: null,
          interval: deps.settings.deviceInterval,
          lastPolledAt: null,
          createdAt: now,
          expiresAt: now + ttl * 1000,
          extra: resources.length > 0 ? { [GRANT_RESOURCES]: resources } : {},
        });
        if (stored) break;
        if (attempt >= 5) throw new Error('could not draw a free user code');
      }
      const verificationUri = `${deps.settings.issuer}${DEVICE_VERIFICATION_PATH}`;
      const shown = formatUserCode(userCode);
      return json({
        device_code: deviceCode,
        user_code: shown,
        verification_uri: verificationUri,
        verification_uri_complete: `${verificationUri}?user_code=${encodeURIComponent(shown)}`,
        expires_in: ttl,
        interval: deps.settings.deviceInterval,
      });
    });
}
