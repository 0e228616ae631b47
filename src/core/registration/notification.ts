import type { Client } from '../clients/client.js';

/**
 * The JSON document POSTed to the configured webhook when a client starts waiting for approval.
 * It names the client and who registered it; it never carries a secret or a token.
 */
export function pendingNotification(client: Client, issuer: string, at: number): Record<string, unknown> {
  const meta = client.metadata;
  const registration = typeof meta.registration === 'object' && meta.registration !== null ? (meta.registration as Record<string, unknown>) : {};
  return {
    event: 'client.pending',
    occurred_at: new Date(at).toISOString(),
    issuer,
    client: {
      client_id: client.key,
      type: client.type,
      name: client.name,
      status: client.status,
      created_via: client.createdVia,
      created_at: new Date(client.createdAt).toISOString(),
      redirect_uris: client.redirectUris,
      grant_types: client.grantTypes,
      response_types: client.responseTypes,
      contacts: Array.isArray(meta.contacts) ? meta.contacts : [],
      client_uri: typeof meta.client_uri === 'string' ? meta.client_uri : null,
      source_address: typeof registration.source_address === 'string' ? registration.source_address : null,
    },
  };
}
