import type { FieldProblem } from '../core/clients/settings.js';

/** Errors of the admin API and CLI, kept apart from OAuth protocol errors. */
export class AdminError extends Error {
  override name = 'AdminError';
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 429,
    readonly code: string,
    message: string,
    readonly fields: FieldProblem[] = [],
  ) {
    super(message);
  }

  static invalid(fields: FieldProblem[]): AdminError {
    const names = [...new Set(fields.map((f) => f.field))].join(', ');
    return new AdminError(400, 'invalid_request', `invalid fields: ${names}`, fields);
  }

  static notFound(what: string): AdminError {
    return new AdminError(404, 'not_found', `${what} not found`);
  }
}

export interface Actor {
  /** Username, or a label such as "cli". */
  name: string;
  /** Source address, or "cli". */
  source: string;
}
