import type { ClientAuthMethod } from './types.js';

/** Public clients identify themselves with client_id alone (RFC 6749 §2.1, §3.2.1). */
export const none = {
  name: 'none',
  extract({ body }) {
    if (body.client_id === undefined || body.client_secret !== undefined) return null;
    return { method: 'none', clientId: body.client_id, secret: null };
  },
} satisfies ClientAuthMethod;
