import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const SRC = new URL('../../src/', import.meta.url).pathname;
const ROUTES = join(SRC, 'http/routes');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [p] : [];
  });
}

describe('HTTP route modules', () => {
  it('export registration functions only', () => {
    for (const file of sourceFiles(ROUTES)) {
      if (file.endsWith('/index.ts')) continue;
      const exported = [...readFileSync(file, 'utf8').matchAll(/^export\s+(?:async\s+)?(?:const|function|class|let|type|interface)\s+(\w+)/gm)].map(
        (m) => m[1],
      );
      assert.ok(exported.length > 0, `${file} registers nothing`);
      for (const name of exported) assert.match(name ?? '', /^register[A-Z]/, `${file} exports ${name}, which is not a registration function`);
    }
  });

  it('are imported by the route list and by each other only; nothing imports the list but the server', () => {
    for (const file of sourceFiles(SRC)) {
      const text = readFileSync(file, 'utf8');
      const inRoutes = file.startsWith(`${ROUTES}/`);
      for (const m of text.matchAll(/from '([^']+)'/g)) {
        const target = m[1] ?? '';
        if (!target.startsWith('.')) continue;
        const resolved = join(file, '..', target);
        if (resolved === join(ROUTES, 'index.js')) assert.equal(file, join(SRC, 'http/server.ts'), `${file} imports the route list`);
        else if (resolved.startsWith(`${ROUTES}/`)) assert.ok(inRoutes, `${file} imports the route module ${target}`);
      }
    }
  });
});
