import type { RequestSpec } from './load.js';

/** The scenarios of issue "Benchmark side by side with node-oidc-provider", in report order. */
export const SCENARIOS = [
  { id: 'discovery', title: 'Discovery document' },
  { id: 'jwks', title: 'JWKS' },
  { id: 'client_credentials', title: 'client_credentials (client_secret_basic)' },
  { id: 'refresh_token', title: 'refresh_token (fresh token each time)' },
  { id: 'authorization_code', title: 'Authorization code exchange (PKCE)' },
  { id: 'introspection', title: 'Introspection of an access token' },
  { id: 'device_authorization', title: 'Device authorization request' },
  { id: 'password', title: 'password grant' },
  { id: 'me_bearer', title: 'GET /api/me, Bearer token' },
  { id: 'me_oauth1', title: 'GET /api/me, OAuth 1.0a HMAC-SHA1' },
] as const;

export type ScenarioId = (typeof SCENARIOS)[number]['id'];

export const SCENARIO_IDS: readonly ScenarioId[] = SCENARIOS.map((s) => s.id);

export function isScenarioId(v: string): v is ScenarioId {
  return (SCENARIO_IDS as readonly string[]).includes(v);
}

/**
 * What a server needs to be driven through one scenario: one request sent again and again, one-time
 * requests minted beforehand (through the real flows) and each sent once, or — for the ceiling,
 * which checks nothing — a sample of such requests sent in a cycle.
 */
export type Workload =
  | { kind: 'fixed'; request: RequestSpec }
  | { kind: 'pool'; mint(count: number): Promise<RequestSpec[]> }
  | { kind: 'cycle'; sample: RequestSpec[] };

/** A scenario a server does not offer, with the reason shown in the report. */
export interface Unsupported {
  kind: 'unsupported';
  reason: string;
}

/** A server under test, from the orchestrator's side. */
export interface Target {
  name: TargetName;
  /** One line on how the server runs (shown in the report). */
  description: string;
  baseUrl: string;
  pid: number;
  cpuMs(): number;
  rssBytes(): number;
  /** Prepares a scenario just before it runs (fresh tokens, pools). */
  workload(scenario: ScenarioId): Promise<Workload | Unsupported>;
  stop(): Promise<void>;
}

export type TargetName = 'latchkey' | 'latchkey-defaults' | 'oidc-provider' | 'ceiling';

export const FORM = 'application/x-www-form-urlencoded';

/** Targets each scenario is checked against (issue #8 "Targets"). */
export const TARGETS: Partial<Record<ScenarioId, { vsOidcProvider?: number; vsCeiling?: number; vsArgon2?: number; defaultsVsBench?: number }>> = {
  // defaultsVsBench: what the defaults as installed (request log at info) may cost against the bench settings.
  discovery: { vsOidcProvider: 3, defaultsVsBench: 0.9 },
  jwks: { vsOidcProvider: 3, defaultsVsBench: 0.9 },
  client_credentials: { vsOidcProvider: 2, vsCeiling: 0.5, defaultsVsBench: 0.95 },
  refresh_token: { vsOidcProvider: 2 },
  authorization_code: { vsOidcProvider: 2 },
  introspection: { vsOidcProvider: 2 },
  device_authorization: { vsOidcProvider: 2 },
  password: { vsArgon2: 0.9 },
  me_bearer: { vsOidcProvider: 2, vsCeiling: 0.6 },
};
