import { percentEncode } from './signature/base-string.js';

/**
 * The OAuth Problem Reporting extension's codes (oauth.net/ProblemReporting) with the status
 * RFC 5849 §3.2 asks for: 400 for unsupported, missing or duplicated parameters and signature
 * methods, 401 for bad credentials, tokens, signatures, timestamps and nonces.
 */
export const PROBLEM_STATUS = {
  version_rejected: 400,
  parameter_absent: 400,
  parameter_rejected: 400,
  signature_method_rejected: 400,
  timestamp_refused: 401,
  nonce_used: 401,
  signature_invalid: 401,
  consumer_key_unknown: 401,
  consumer_key_rejected: 401,
  consumer_key_refused: 401,
  token_used: 401,
  token_expired: 401,
  token_revoked: 401,
  token_rejected: 401,
  additional_authorization_required: 401,
  permission_unknown: 401,
  permission_denied: 401,
  user_refused: 401,
} as const;

export type ProblemCode = keyof typeof PROBLEM_STATUS;

/** Extra response parameters the extension defines, by their wire names. */
export interface ProblemDetails {
  oauth_parameters_absent?: string[];
  oauth_parameters_rejected?: string[];
  /** "min-max" in seconds since the epoch. */
  oauth_acceptable_timestamps?: string;
  oauth_acceptable_versions?: string;
  /** A short, safe, human-readable explanation. */
  oauth_problem_advice?: string;
}

/** One OAuth 1.0a failure: a registered problem code, a safe advice text, and never a secret. */
export class OAuth1Problem extends Error {
  override name = 'OAuth1Problem';
  readonly status: 400 | 401;

  constructor(
    readonly problem: ProblemCode,
    readonly details: ProblemDetails = {},
    status?: 400 | 401,
  ) {
    super(details.oauth_problem_advice ?? problem);
    this.status = status ?? PROBLEM_STATUS[problem];
  }

  static absent(names: string[]): OAuth1Problem {
    return new OAuth1Problem('parameter_absent', { oauth_parameters_absent: names, oauth_problem_advice: `missing ${names.join(', ')}` });
  }

  static rejected(names: string[], advice: string, status?: 400 | 401): OAuth1Problem {
    return new OAuth1Problem('parameter_rejected', { oauth_parameters_rejected: names, oauth_problem_advice: advice }, status);
  }

  static of(problem: ProblemCode, advice: string, extra: ProblemDetails = {}): OAuth1Problem {
    return new OAuth1Problem(problem, { ...extra, oauth_problem_advice: advice });
  }

  /** The response parameters, in wire order: oauth_problem first. */
  parameters(): Array<[string, string]> {
    const out: Array<[string, string]> = [['oauth_problem', this.problem]];
    const d = this.details;
    if (d.oauth_parameters_absent?.length) out.push(['oauth_parameters_absent', d.oauth_parameters_absent.join('&')]);
    if (d.oauth_parameters_rejected?.length) out.push(['oauth_parameters_rejected', d.oauth_parameters_rejected.join('&')]);
    if (d.oauth_acceptable_timestamps) out.push(['oauth_acceptable_timestamps', d.oauth_acceptable_timestamps]);
    if (d.oauth_acceptable_versions) out.push(['oauth_acceptable_versions', d.oauth_acceptable_versions]);
    if (d.oauth_problem_advice) out.push(['oauth_problem_advice', d.oauth_problem_advice]);
    return out;
  }
}

/** `WWW-Authenticate: OAuth realm="…", oauth_problem="…", …` (RFC 5849 §3.5.1 syntax). */
export function problemChallenge(problem: OAuth1Problem, realm: string): string {
  const quoted = (v: string) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`;
  const params = problem.parameters().map(([k, v]) => `${k}=${quoted(percentEncode(v))}`);
  return [`OAuth realm=${quoted(realm)}`, ...params].join(', ');
}

/** The form-encoded body of a problem response. */
export function problemBody(problem: OAuth1Problem): string {
  return problem
    .parameters()
    .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`)
    .join('&');
}

export interface OAuth1Response {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The one serializer: status, form-encoded body and the challenge header. */
export function problemResponse(problem: OAuth1Problem, realm: string): OAuth1Response {
  return {
    status: problem.status,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'cache-control': 'no-store',
      'www-authenticate': problemChallenge(problem, realm),
    },
    body: problemBody(problem),
  };
}

/** A successful form-encoded answer (credentials): never cached. */
export function formResponse(params: Array<[string, string]>): OAuth1Response {
  return {
    status: 200,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'cache-control': 'no-store', pragma: 'no-cache' },
    body: params.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&'),
  };
}
