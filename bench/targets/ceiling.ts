import { freePort } from '../../scripts/services.mjs';
import { spawnServer } from '../lib/child.js';
import type { Runtime } from '../lib/runtime.js';
import type { ScenarioId, Target, Workload } from '../scenarios.js';
import type { CeilingRoute } from '../servers/ceiling.js';

/** What the ceiling answers for one scenario: Latchkey's request shape and response size. */
export interface CeilingScenario {
  route: CeilingRoute;
  workload: Workload;
}

/** The bare Fastify server of bench/servers/ceiling.ts, configured from Latchkey's answers. */
export async function startCeiling(runtime: Runtime, scenarios: Partial<Record<ScenarioId, CeilingScenario>>): Promise<Target> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const routes = Object.values(scenarios).map((s) => s.route);
  const server = await spawnServer({
    name: 'ceiling',
    args: runtime.server('ceiling'),
    env: { BENCH_PORT: String(port), BENCH_CEILING_ROUTES: JSON.stringify(routes) },
    baseUrl,
    readyPattern: /listening on/,
  });
  return {
    name: 'ceiling',
    description: 'bare Fastify 5 route: parses the form body, answers a fixed JSON body of Latchkey’s size',
    baseUrl,
    pid: server.pid,
    cpuMs: server.cpuMs,
    rssBytes: server.rssBytes,
    async workload(s) {
      return scenarios[s]?.workload ?? { kind: 'unsupported', reason: 'no Latchkey answer to mirror' };
    },
    stop: () => server.stop(),
  };
}
