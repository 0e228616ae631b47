/**
 * What the console's client form applies as the administrator types: the client-settings rules
 * and the redirect URI rule themselves, bundled for the browser into
 * assets/console/client-settings.js by scripts/console-rules.mjs (`npm run build`). The server
 * checks again on save; test/console/client-settings-bundle.test.ts keeps the bundle current.
 */
import { redirectUriProblem } from './redirect-uri.js';

export { redirectUriProblem } from './redirect-uri.js';
export {
  CLIENT_SETTINGS_RULES,
  defaultAuthMethod,
  grantAllowedFor,
  type OAuth2Settings,
  requiresPkce,
  type SettingsViolation,
  settingsViolations,
} from './settings.js';

export interface UriLineProblem {
  line: number;
  uri: string;
  message: string;
}

/** The URIs of a one-URI-per-line text; blank lines are ignored. */
export function uriList(text: string): string[] {
  return text
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Problems of a one-URI-per-line text, by line (1-based); blank lines are ignored. */
export function redirectUriLines(text: string): UriLineProblem[] {
  const problems: UriLineProblem[] = [];
  const seen = new Map<string, number>();
  text.split('\n').forEach((raw, i) => {
    const uri = raw.trim();
    if (uri === '') return;
    const problem = redirectUriProblem(uri);
    const first = seen.get(uri);
    if (problem) problems.push({ line: i + 1, uri, message: problem });
    else if (first !== undefined) problems.push({ line: i + 1, uri, message: `repeats line ${first}` });
    if (first === undefined) seen.set(uri, i + 1);
  });
  return problems;
}
