/**
 * The OSLC root services document (RDF/XML) that Jazz-style OSLC consumers read to find the
 * OAuth 1.0a endpoints and the consumer-key request URL (jfs namespace, "Jazz Foundation Services").
 */

export const JFS_NS = 'http://jazz.net/xmlns/prod/jazz/jfs/1.0/';
const RDF_NS = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';
const DC_NS = 'http://purl.org/dc/terms/';

/** Public paths of the endpoints the document names (relative to the issuer). */
export const OSLC_PATHS = {
  rootServices: '/oslc/rootservices',
  requestConsumerKey: '/oslc/consumer-key',
  requestToken: '/oauth1/request_token',
  authorize: '/oauth1/authorize',
  accessToken: '/oauth1/access_token',
  /** Where an administrator approves consumer keys: the console's OAuth 1.0a tab, pending first. */
  approvalModule: '/admin/clients?type=oauth1&status=pending',
} as const;

function xmlEscape(value: string): string {
  return value.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);
}

export interface RootServicesInput {
  /** The issuer (public base URL, no trailing slash). */
  issuer: string;
  /** The OAuth realm (also used in WWW-Authenticate challenges). */
  realm: string;
  title: string;
}

export function renderRootServices(r: RootServicesInput): string {
  const url = (path: string) => xmlEscape(`${r.issuer}${path}`);
  return `<?xml version="1.0" encoding="UTF-8"?>
<rdf:Description rdf:about="${url(OSLC_PATHS.rootServices)}"
    xmlns:rdf="${RDF_NS}"
    xmlns:dc="${DC_NS}"
    xmlns:jfs="${JFS_NS}">
  <dc:title>${xmlEscape(r.title)}</dc:title>
  <jfs:oauthRealmName>${xmlEscape(r.realm)}</jfs:oauthRealmName>
  <jfs:oauthDomain>${xmlEscape(r.issuer)}</jfs:oauthDomain>
  <jfs:oauthRequestConsumerKeyUrl rdf:resource="${url(OSLC_PATHS.requestConsumerKey)}"/>
  <jfs:oauthApprovalModuleUrl rdf:resource="${url(OSLC_PATHS.approvalModule)}"/>
  <jfs:oauthRequestTokenUrl rdf:resource="${url(OSLC_PATHS.requestToken)}"/>
  <jfs:oauthUserAuthorizationUrl rdf:resource="${url(OSLC_PATHS.authorize)}"/>
  <jfs:oauthAccessTokenUrl rdf:resource="${url(OSLC_PATHS.accessToken)}"/>
</rdf:Description>
`;
}
