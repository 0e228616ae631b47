import { readFileSync } from 'node:fs';
import { type Config, OPTIONS, type OptionName, RETIRED_OPTIONS } from './schema.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads configuration from an optional JSON file (LATCHKEY_CONFIG, camelCase keys) overridden by
 * environment variables, and validates every key, naming the bad one in the error.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const fromFile = readConfigFile(env.LATCHKEY_CONFIG);
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const name of Object.keys(OPTIONS) as OptionName[]) {
    const option = OPTIONS[name];
    const raw = env[option.env] ?? fromFile[name];
    const value = raw === '' ? undefined : raw;
    const parsed = option.schema.safeParse(typeof value === 'number' || typeof value === 'boolean' ? String(value) : value);
    if (!parsed.success) {
      problems.push(`${option.env}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    } else {
      out[name] = parsed.data;
    }
  }
  for (const key of Object.keys(fromFile)) {
    const retired = RETIRED_OPTIONS[key];
    if (retired) problems.push(`config file: "${key}" no longer exists: ${retired.replacedBy}`);
    else if (!(key in OPTIONS)) problems.push(`config file: unknown key "${key}"`);
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  const config = out as Omit<Config, 'issuer'> & { issuer?: string };
  const issuer = normalizeIssuer(config.issuer ?? `http://${hostForUrl(config.host)}:${config.port}`);
  if (issuer instanceof Error) throw new ConfigError(`LATCHKEY_ISSUER: ${issuer.message}`);
  if (config.workers > 1 && config.databaseUrl === 'sqlite::memory:') {
    throw new ConfigError('LATCHKEY_WORKERS: several workers need PostgreSQL or a SQLite file; sqlite::memory: is private to each process');
  }
  return { ...config, issuer };
}

function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function normalizeIssuer(value: string): string | Error {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return new Error('is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return new Error('must be http or https');
  if (url.search || url.hash) return new Error('must not have a query or fragment'); // RFC 8414 §2
  return url.href.replace(/\/$/, '');
}

function readConfigFile(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`LATCHKEY_CONFIG: cannot read ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError(`LATCHKEY_CONFIG: ${path} is not valid JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`LATCHKEY_CONFIG: ${path} must hold a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/** Markdown table of every option, for `latchkey config` and the README. */
export function describeOptions(): string {
  const rows = (Object.keys(OPTIONS) as OptionName[]).map((name) => {
    const o = OPTIONS[name];
    const def = o.schema.safeParse(undefined);
    const shown = def.success && def.data !== undefined && String(def.data) !== '' ? `\`${String(def.data)}\`` : '';
    return `| \`${o.env}\` | \`${name}\` | ${shown} | ${o.doc} |`;
  });
  return ['| Environment variable | Config file key | Default | Meaning |', '|---|---|---|---|', ...rows].join('\n');
}
