import type { SigningAlg } from '../tokens/signing-keys.js';

/**
 * ID token signing algorithms (OIDC Core §3.1.3.7): what discovery advertises and what a client may
 * choose as id_token_signed_response_alg (OIDC Registration §2). RS256 is the default.
 */
export const ID_TOKEN_ALGS = ['RS256', 'ES256'] as const satisfies readonly SigningAlg[];

/** ID tokens are RS256 by default (the reference's); a client may choose ES256 (`id_token_signed_response_alg`). */
export const DEFAULT_ID_TOKEN_ALG: SigningAlg = 'RS256';
