import type { RegistrableType } from './metadata.js';

/** The modelled server's registration paths, one per client type. */
export const REGISTRATION_PATHS: Record<RegistrableType, string> = {
  oauth2: '/api/oauth2/register',
  oidc: '/api/oidc/register',
};

export const REGISTRATION_MODES = ['open', 'token', 'off'] as const;
export type RegistrationMode = (typeof REGISTRATION_MODES)[number];

/** RFC 7591 §3: the client registration endpoint of a client type. */
export function registrationEndpoint(issuer: string, type: RegistrableType): string {
  return `${issuer.replace(/\/$/, '')}${REGISTRATION_PATHS[type]}`;
}

/** RFC 7592 §3: where a registered client reads, updates and deletes its registration. */
export function registrationClientUri(issuer: string, type: RegistrableType, clientId: string): string {
  return `${registrationEndpoint(issuer, type)}/${encodeURIComponent(clientId)}`;
}

/**
 * The `registration_endpoint` value of a discovery document (RFC 8414 §2, OIDC Discovery §3), or
 * undefined when registration is off and the member must be left out.
 */
export function advertisedRegistrationEndpoint(config: { issuer: string; registrationMode: RegistrationMode }, type: RegistrableType): string | undefined {
  return config.registrationMode === 'off' ? undefined : registrationEndpoint(config.issuer, type);
}

/** The member to spread into a discovery document: `{ registration_endpoint }`, or nothing when off. */
export function registrationEndpointMember(
  config: { issuer: string; registrationMode: RegistrationMode },
  type: RegistrableType,
): { registration_endpoint?: string } {
  const endpoint = advertisedRegistrationEndpoint(config, type);
  return endpoint === undefined ? {} : { registration_endpoint: endpoint };
}
