// Rewrites the option table in README.md from the configuration schema (run: npx tsx scripts/readme-options.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { describeOptions } from '../src/config/load.js';

const file = new URL('../README.md', import.meta.url);
const readme = readFileSync(file, 'utf8');
const start = '<!-- options:start -->';
const end = '<!-- options:end -->';
const table = `${start}\n${describeOptions()}\n${end}`;
const next = readme.includes(start) ? readme.replace(new RegExp(`${start}[\\s\\S]*?${end}`), table) : readme.replace('CONFIG_TABLE', table);
writeFileSync(file, next);
