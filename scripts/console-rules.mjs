// Bundles src/core/clients/console-rules.ts for the browser: the console's client form applies the
// server's own client-settings rules. `--check` exits 1 when the committed bundle is not current.
import { readFileSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const ROOT = new URL('..', import.meta.url).pathname;
const ENTRY = 'src/core/clients/console-rules.ts';
const OUT = new URL('../assets/console/client-settings.js', import.meta.url).pathname;
const BANNER = '// Generated from src/core/clients/console-rules.ts by scripts/console-rules.mjs; do not edit.';

export async function bundleConsoleRules() {
  const result = await build({
    // Relative to the project, so the region comments (and the bundle) do not depend on where it lives.
    absWorkingDir: ROOT,
    entryPoints: [ENTRY],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    legalComments: 'none',
    banner: { js: BANNER },
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error('esbuild produced no output');
  return file.text;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const text = await bundleConsoleRules();
  if (process.argv.includes('--check')) {
    if (readFileSync(OUT, 'utf8') !== text) {
      process.stderr.write('assets/console/client-settings.js is not current: run `npm run build`\n');
      process.exit(1);
    }
  } else {
    writeFileSync(OUT, text);
  }
}
