import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { clientViewSchema } from '../../src/admin/client-admin.js';
import { ADMIN_API_ROUTES } from '../../src/http/admin-api-routes.js';
import { activityEventSchema } from '../../src/http/console-activity.js';

// The console's modules are type-checked (assets/console/tsconfig.json, run by npm test, checks every
// module); each also starts with `// @ts-check`, so editors check it on its own.
const CONSOLE = new URL('../../assets/console/', import.meta.url);

/** Generated modules, checked as the TypeScript they are generated from (and typed by a .d.ts beside them). */
const GENERATED = new Map([['client-settings.js', '// Generated from src/core/clients/console-rules.ts']]);

describe('the console modules', () => {
  const modules = readdirSync(CONSOLE).filter((f) => f.endsWith('.js'));

  it('are all type-checked, but for the generated ones', () => {
    assert.ok(modules.length > 10, `found ${modules.length} modules`);
    for (const file of modules) {
      const checked = readFileSync(new URL(file, CONSOLE), 'utf8').startsWith('// @ts-check\n');
      const generated = GENERATED.get(file);
      if (generated) {
        assert.ok(readFileSync(new URL(file, CONSOLE), 'utf8').startsWith(generated), file);
        assert.ok(modules.length > 0 && readdirSync(CONSOLE).includes(file.replace(/\.js$/, '.d.ts')), `${file} has its .d.ts`);
      } else assert.ok(checked, `${file} starts with // @ts-check`);
    }
  });

  it('list only generated modules that exist', () => {
    for (const file of GENERATED.keys()) assert.ok(modules.includes(file), file);
  });
});

/** The member names of a `@typedef {{ … }} Name` in a module's JSDoc. */
function typedefMembers(source: string, name: string): string[] {
  const body = new RegExp(`@typedef \\{\\{((?:(?!@typedef)[^])*?)\\}\\} ${name}\\n`).exec(source)?.[1];
  assert.ok(body, `typedef ${name}`);
  return [...body.replace(/\n \*/g, ' ').matchAll(/(\w+)\??:/g)].map((m) => m[1] ?? '');
}

describe('the types the console gives the admin API answers', () => {
  const api = readFileSync(new URL('api.js', CONSOLE), 'utf8');

  it('name the members of the schemas the OpenAPI document is generated from', () => {
    const created = ADMIN_API_ROUTES.createClient.responses['201'].schema;
    assert.deepEqual(typedefMembers(api, 'Client').sort(), Object.keys(created.shape).sort());
    assert.deepEqual(typedefMembers(api, 'ActivityEvent').sort(), Object.keys(activityEventSchema.shape).sort());
    const shown = Object.keys(clientViewSchema.shape);
    assert.ok(shown.includes('version') && !shown.includes('client_secret'));
  });
});
