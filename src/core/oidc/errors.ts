import { OAuth2Error } from '../oauth2/errors.js';

/**
 * Authorization error codes of OIDC Core §3.1.2.6 not already in the OAuth 2.0 family
 * (login_required, consent_required and interaction_required live there).
 */
export class RequestNotSupported extends OAuth2Error {
  readonly code = 'request_not_supported';
}

export class RequestUriNotSupported extends OAuth2Error {
  readonly code = 'request_uri_not_supported';
}

export class RegistrationNotSupported extends OAuth2Error {
  readonly code = 'registration_not_supported';
}
