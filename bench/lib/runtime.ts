import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = new URL('../../', import.meta.url).pathname;
const BUILD_DIR = join(ROOT, '.tmp', 'bench-build');

/**
 * How the servers run. "build": compiled by tsc (as `npm start` does) and run by plain node, so
 * their CPU time and memory carry no TypeScript loader. "tsx": straight from the sources, for the
 * smoke mode, where start-up time matters more than memory figures.
 */
export interface Runtime {
  mode: 'build' | 'tsx';
  /** Node arguments that run the Latchkey CLI. */
  latchkey: string[];
  /** Node arguments that run one of bench/servers/*.ts. */
  server(name: string): string[];
}

export function tsxRuntime(): Runtime {
  return {
    mode: 'tsx',
    latchkey: ['--import', 'tsx', join(ROOT, 'src/cli/main.ts')],
    server: (name) => ['--import', 'tsx', join(ROOT, 'bench/servers', `${name}.ts`)],
  };
}

/** Compiles src/ and bench/servers/ with tsc into .tmp/bench-build (incremental). */
export function buildRuntime(log: (line: string) => void, reuse = false): Runtime {
  const latchkey = join(BUILD_DIR, 'src/cli/main.js');
  if (!reuse || !existsSync(latchkey)) {
    log('compiling the servers with tsc (bench/tsconfig.build.json)…');
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'bench/tsconfig.build.json')], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    // Type errors elsewhere in the tree do not stop the emit; a missing output does.
    if (!existsSync(latchkey)) throw new Error(`tsc produced no build:\n${r.stdout}${r.stderr}`);
  }
  return {
    mode: 'build',
    latchkey: [latchkey],
    server: (name) => [join(BUILD_DIR, 'bench/servers', `${name}.js`)],
  };
}
