import type { App } from '../compose.js';
import type { EndpointRequest, EndpointResponse } from '../core/oauth2/endpoints/request.js';

/** Counts issued tokens in latchkey_tokens_issued_total{grant_type, token_type, client_type}. */
export function countingTokens(
  app: App,
  clientType: string,
  endpoint: (req: EndpointRequest) => Promise<EndpointResponse>,
): (req: EndpointRequest) => Promise<EndpointResponse> {
  return async (req) => {
    const res = await endpoint(req);
    if (res.status === 200) {
      const grant = req.body.grant_type;
      const labels = { grant_type: typeof grant === 'string' ? grant.slice(0, 60) : 'unknown', client_type: clientType };
      for (const type of ['access_token', 'refresh_token', 'id_token']) {
        if (typeof res.body[type] === 'string') app.metrics.tokensIssued.inc({ ...labels, token_type: type });
      }
    }
    return res;
  };
}
