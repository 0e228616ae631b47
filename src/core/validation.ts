import type { z } from 'zod';
import type { FieldProblem } from './clients/settings.js';

/** Turns zod issues into field problems (admin API, registration) named by their path, e.g. "redirect_uris.0". */
export function zodProblems(error: z.ZodError): FieldProblem[] {
  return error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : 'body';
    if (issue.code === 'unrecognized_keys') {
      // Nested objects (e.g. address) name the full path of each unknown member.
      const names = issue.keys.map((k) => [...issue.path.map(String), k].join('.'));
      return { field: names.join(', '), message: `unknown field${issue.keys.length > 1 ? 's' : ''}` };
    }
    return { field, message: issue.message };
  });
}
