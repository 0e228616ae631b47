import type { ClientAuthMethod } from './types.js';

/** RFC 6749 §2.3.1: client_id and client_secret in the form body (allowed, not recommended). */
export const clientSecretPost = {
  name: 'client_secret_post',
  extract({ body }) {
    const { client_id: clientId, client_secret: secret } = body;
    if (secret === undefined) return null;
    return { method: 'client_secret_post', clientId: clientId ?? '', secret };
  },
} satisfies ClientAuthMethod;
