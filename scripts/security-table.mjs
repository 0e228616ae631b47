#!/usr/bin/env node
// SECURITY.md's ASVS table, made from the names of the tests in test/security: each test's name
// starts with the ASVS 5.0 requirement it proves. `node scripts/security-table.mjs --write` updates
// SECURITY.md; test/security/table.test.ts fails when the page and the tests disagree.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
export const START = '<!-- asvs-table:start -->';
export const END = '<!-- asvs-table:end -->';

const CHAPTERS = {
  V1: 'Encoding and Sanitization',
  V2: 'Validation and Business Logic',
  V3: 'Web Frontend Security',
  V4: 'API and Web Service',
  V6: 'Authentication',
  V7: 'Session Management',
  V8: 'Authorization',
  V10: 'OAuth and OIDC',
  V13: 'Configuration',
  V16: 'Security Logging and Error Handling',
};

/** Every test in test/security whose name starts with a requirement id, in file and source order. */
export function securityTests() {
  const dir = join(root, 'test/security');
  const out = [];
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.test.ts'))
    .sort((a, b) => chapterNumber(a) - chapterNumber(b) || a.localeCompare(b));
  for (const file of files) {
    const text = readFileSync(join(dir, file), 'utf8');
    const re = /\b(?:test|it)\(\s*(['"`])(V\d+(?:\.\d+)+)\s+((?:\\.|(?!\1)[\s\S])*?)\1/g;
    for (const m of text.matchAll(re)) {
      const name = m[3]
        .replace(/\$\{[^}]*\}/g, '…')
        .replace(/\\(.)/g, '$1')
        .replace(/\s+/g, ' ');
      out.push({ requirement: m[2], name, file: `test/security/${file}` });
    }
  }
  return out;
}

function chapterNumber(file) {
  return Number(/^v(\d+)-/.exec(file)?.[1] ?? 999);
}

export function renderTable(tests = securityTests()) {
  const lines = ['| ASVS 5.0 | chapter | what the test proves | test file |', '|---|---|---|---|'];
  for (const t of tests) {
    const chapter = CHAPTERS[t.requirement.split('.')[0]] ?? '';
    lines.push(`| ${t.requirement} | ${chapter} | ${t.name.replace(/\|/g, '\\|')} | \`${t.file}\` |`);
  }
  return lines.join('\n');
}

export function currentTable() {
  const page = readFileSync(join(root, 'SECURITY.md'), 'utf8');
  const a = page.indexOf(START);
  const b = page.indexOf(END);
  if (a < 0 || b < a) return null;
  return page.slice(a + START.length, b).trim();
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '') && process.argv.includes('--write')) {
  const file = join(root, 'SECURITY.md');
  const page = readFileSync(file, 'utf8');
  const a = page.indexOf(START);
  const b = page.indexOf(END);
  if (a < 0 || b < a) throw new Error(`SECURITY.md has no ${START} … ${END} block`);
  writeFileSync(file, `${page.slice(0, a + START.length)}\n${renderTable()}\n${page.slice(b)}`);
  process.stdout.write(`${securityTests().length} tests in the table\n`);
}
