import { AdminError } from '../admin/errors.js';
import { type App, openApp } from '../compose.js';
import { loadConfig } from '../config/load.js';
import { PatError } from '../core/tokens/personal-access-tokens.js';
import { OPERATOR } from '../core/users/authorization.js';

export class CliError extends Error {
  override name = 'CliError';
}

/** The local operator: not bound by the user administration rule; everything it does is audited as cli. */
export const CLI_ACTOR = { name: 'cli', source: 'cli', authority: OPERATOR } as const;

/** Runs a command against the configured database, turning admin errors into readable lines. */
export async function withApp<T>(fn: (app: App) => Promise<T>): Promise<T> {
  const app = await openApp(loadConfig());
  try {
    return await fn(app);
  } catch (err) {
    if (err instanceof AdminError) {
      const details = err.fields.map((f) => `\n  ${f.field}: ${f.message}`).join('');
      throw new CliError(`${err.message}${details}`);
    }
    if (err instanceof PatError) throw new CliError(err.message);
    throw err;
  } finally {
    await app.close();
  }
}

export function print(value: unknown, asJson: boolean, text: () => string): void {
  process.stdout.write(asJson ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
