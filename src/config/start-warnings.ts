import { type Config, RETIRED_OPTIONS } from './schema.js';

/**
 * Configurations that start but are probably wrong, said once at start-up. An https issuer almost
 * always sits behind a TLS-terminating proxy; without LATCHKEY_TRUST_PROXY every client then has
 * the proxy's address, and the per-address limits (failed client authentications, registration,
 * OSLC consumer keys, sign-in) count all of them together.
 */
export function startWarnings(config: Pick<Config, 'issuer' | 'trustProxy'>, env: Record<string, string | undefined> = {}): string[] {
  const warnings: string[] = [];
  for (const { env: name, replacedBy } of Object.values(RETIRED_OPTIONS)) {
    if (env[name] !== undefined) warnings.push(`${name} no longer has an effect: ${replacedBy}`);
  }
  if (config.issuer.startsWith('https:') && !config.trustProxy) {
    warnings.push(
      'the issuer is https but LATCHKEY_TRUST_PROXY is false: behind a TLS-terminating proxy every request seems to come from the proxy, and per-address limits count all clients together; set LATCHKEY_TRUST_PROXY=true when a proxy you control sets X-Forwarded-For',
    );
  }
  return warnings;
}
