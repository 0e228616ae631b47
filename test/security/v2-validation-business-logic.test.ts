// Runs again on PostgreSQL: @backends sqlite postgres
// ASVS 5.0 V2 Validation and Business Logic: a self-registered client is used only as an
// administrator approved it. Every reviewed field changed over RFC 7592 sends it back to pending,
// an approval names the version the administrator saw, and the console shows every field with
// invisible characters and look-alike hosts marked.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { domainToASCII, domainToUnicode } from 'node:url';
import { REGISTRANT_FIELDS } from '../../src/core/registration/metadata.js';
import { NO_REVIEW_FIELDS, REVIEWED_FIELDS } from '../../src/core/registration/review.js';
import { launchBrowser } from '../console/browser.js';
import { httpSignIn } from '../console/http-session.js';
import { call, latchkey } from '../registration/helpers.js';
import { ADMIN_PASSWORD, startServer, type TestServer } from '../support/server.js';

type Body = Record<string, unknown>;

const DEVICE = 'urn:ietf:params:oauth:grant-type:device_code';
const publicJwk = (kid: string) => ({ ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }), kid, use: 'sig' });

/** Every registrant-settable field of an OIDC client, with a value. */
const BASE: Body = {
  client_name: 'Review app',
  'client_name#fr': 'Appli revue',
  logo_uri: 'https://app.example/logo.png',
  'logo_uri#fr': 'https://app.example/logo-fr.png',
  client_uri: 'https://app.example/',
  policy_uri: 'https://app.example/privacy',
  tos_uri: 'https://app.example/terms',
  redirect_uris: ['https://app.example/cb'],
  post_logout_redirect_uris: ['https://app.example/bye'],
  grant_types: ['authorization_code', 'refresh_token', 'implicit'],
  response_types: ['code id_token'],
  token_endpoint_auth_method: 'client_secret_basic',
  contacts: ['ops@app.example'],
  jwks_uri: 'https://app.example/jwks.json',
  scope: 'openid profile',
  software_id: 'review-app',
  software_version: '1.0',
  application_type: 'web',
  id_token_signed_response_alg: 'RS256',
  access_token_signed_response_alg: 'RS256',
  require_auth_time: false,
  backchannel_logout_uri: 'https://app.example/logout',
  backchannel_logout_session_required: false,
};

/**
 * The rule, restated here apart from the server's code: a change of any field sends an approved
 * client back to pending, except these, which change nothing an administrator judges (the
 * software's version string, which of the server's own algorithms signs its tokens, and two flags
 * that only add a claim).
 */
const NO_REVIEW = [
  'software_version',
  'subject_type',
  'id_token_signed_response_alg',
  'access_token_signed_response_alg',
  'require_auth_time',
  'backchannel_logout_session_required',
];

interface Case {
  field: string;
  /** Overrides of BASE for the registration (undefined removes a member). */
  from?: Body;
  to: Body;
}

const KEY_1 = { keys: [publicJwk('key-1')] };
const KEY_2 = { keys: [publicJwk('key-2')] };

const CASES: Case[] = [
  { field: 'client_name', to: { client_name: 'Review app (new)' } },
  { field: 'client_name#fr', to: { 'client_name#fr': 'Appli relue' } },
  { field: 'client_name#de', to: { 'client_name#de': 'Neue App' } },
  { field: 'logo_uri', to: { logo_uri: 'https://app.example/logo-2.png' } },
  { field: 'logo_uri#fr', to: { 'logo_uri#fr': 'https://app.example/logo-fr-2.png' } },
  { field: 'client_uri', to: { client_uri: 'https://app.example/home' } },
  { field: 'client_uri#de', to: { 'client_uri#de': 'https://app.example/de' } },
  { field: 'policy_uri', to: { policy_uri: 'https://app.example/privacy-2' } },
  { field: 'policy_uri#fr', to: { 'policy_uri#fr': 'https://app.example/confidentialite' } },
  { field: 'tos_uri', to: { tos_uri: 'https://app.example/terms-2' } },
  { field: 'tos_uri#de', to: { 'tos_uri#de': 'https://app.example/agb' } },
  { field: 'redirect_uris', to: { redirect_uris: ['https://app.example/cb', 'https://app.example/cb2'] } },
  { field: 'post_logout_redirect_uris', to: { post_logout_redirect_uris: ['https://app.example/bye-2'] } },
  { field: 'grant_types', to: { grant_types: ['authorization_code', 'refresh_token', 'implicit', DEVICE] } },
  { field: 'response_types', to: { response_types: ['code id_token', 'code'] } },
  { field: 'token_endpoint_auth_method', to: { token_endpoint_auth_method: 'client_secret_post' } },
  { field: 'contacts', to: { contacts: ['ops@app.example', 'someone@elsewhere.example'] } },
  { field: 'jwks', from: { jwks_uri: undefined, jwks: KEY_1 }, to: { jwks: KEY_2 } },
  { field: 'jwks_uri', to: { jwks_uri: 'https://app.example/jwks-2.json' } },
  { field: 'scope', to: { scope: 'openid profile email' } },
  { field: 'software_id', to: { software_id: 'other-app' } },
  { field: 'software_version', to: { software_version: '1.1' } },
  { field: 'application_type', to: { application_type: 'native' } },
  { field: 'subject_type', to: { subject_type: 'public' } },
  { field: 'id_token_signed_response_alg', to: { id_token_signed_response_alg: 'ES256' } },
  { field: 'access_token_signed_response_alg', to: { access_token_signed_response_alg: 'ES256' } },
  { field: 'require_auth_time', to: { require_auth_time: true } },
  { field: 'backchannel_logout_uri', to: { backchannel_logout_uri: 'https://app.example/logout-2' } },
  { field: 'backchannel_logout_session_required', to: { backchannel_logout_session_required: true } },
  { field: 'resources', to: { resources: ['https://api.app.example/'] } },
];

const baseField = (field: string) => field.split('#')[0] ?? field;
const reviewed = (field: string) => !NO_REVIEW.includes(baseField(field));

/** The console's marking module, as the browser loads it (plain ES module, no build step). */
interface Marks {
  markText(value: string): { parts: Array<{ text?: string; mark?: string; name?: string; kind?: string }>; count: number };
  markedString(value: string): string;
  textWarning(value: string): string | null;
  punycodeDecode(value: string): string | null;
  hostReview(value: string): { host: string; unicode: string; idn: boolean; mixed: boolean; rewritten: boolean; warnings: string[] } | null;
}
const marks = (await import(new URL('../../assets/console/review-marks.js', import.meta.url).href)) as Marks;

let srv: TestServer;

before(async () => {
  srv = await startServer({
    env: {
      LATCHKEY_REGISTRATION_RATE_LIMIT: '10000',
      LATCHKEY_REGISTRATION_MAX_PENDING: '1000',
      LATCHKEY_REGISTRATION_RESPONSE_TYPES: 'code,code id_token',
    },
  });
});
after(() => srv.close());

interface Registered {
  clientId: string;
  token: string;
  uri: string;
  body: Body;
}

async function register(body: Body): Promise<Registered> {
  const res = await call('POST', `${srv.baseUrl}/api/oidc/register`, { body });
  assert.equal(res.status, 201, JSON.stringify(res.json));
  const clientId = String(res.json.client_id);
  return { clientId, token: String(res.json.registration_access_token), uri: String(res.json.registration_client_uri), body };
}

/** RFC 7592 §2.2: the update repeats the whole metadata and the client_id. */
function update(r: Registered, body: Body) {
  return call('PUT', r.uri, { token: r.token, body: { ...body, client_id: r.clientId } });
}

async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: Body }> {
  const headers: Record<string, string> = { authorization: srv.adminAuth };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${srv.baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Body) : {} };
}

const clientPath = (key: string) => `/admin/api/clients/${encodeURIComponent(key)}`;

async function versionOf(key: string): Promise<number> {
  const view = await admin('GET', clientPath(key));
  assert.equal(view.status, 200);
  assert.equal(typeof view.json.version, 'number', 'the admin API shows the client version');
  return view.json.version as number;
}

async function approve(key: string, version?: number) {
  return admin('POST', `${clientPath(key)}/approve`, version === undefined ? undefined : { version });
}

async function auditOf(key: string, action: string): Promise<Body[]> {
  const { items } = await srv.app.stores.audit.list({ target: key, action, limit: 100, offset: 0 });
  return items.map((e) => e.details);
}

describe('V2 the fields a reviewer judges', () => {
  test('V2.3.1 every registrant field of the metadata schema is reviewed or on the short no-review list, and this suite changes each one', () => {
    assert.deepEqual([...NO_REVIEW_FIELDS].sort(), [...NO_REVIEW].sort(), 'the server exempts exactly what this suite states');
    for (const field of REGISTRANT_FIELDS) {
      assert.notEqual(REVIEWED_FIELDS.includes(field), NO_REVIEW.includes(field), `${field}: reviewed or exempt, not both, not neither`);
      assert.ok(
        CASES.some((c) => baseField(c.field) === field),
        `a case changes ${field}`,
      );
    }
  });
});

describe('V2 approval of self-registered clients', () => {
  test('V2.3.1 an RFC 7592 update of any reviewed field sends an approved client back to pending; only the short no-review list keeps it approved', async () => {
    for (const c of CASES) {
      const from = { ...BASE, ...c.from };
      const r = await register(from);
      const seen = await versionOf(r.clientId);
      const approved = await approve(r.clientId, seen);
      assert.equal(approved.status, 200, `${c.field}: ${JSON.stringify(approved.json)}`);
      const before = await versionOf(r.clientId);

      // The same metadata again changes nothing.
      const same = await update(r, from);
      assert.equal(same.status, 200, `${c.field}: ${JSON.stringify(same.json)}`);
      assert.equal(same.json.status, 'approved', `${c.field}: an unchanged update keeps the approval`);
      assert.equal(await versionOf(r.clientId), before, `${c.field}: an unchanged update is no new version`);

      const changed = await update(r, { ...from, ...c.to });
      assert.equal(changed.status, 200, `${c.field}: ${JSON.stringify(changed.json)}`);
      const expected = reviewed(c.field) ? 'pending' : 'approved';
      assert.equal(changed.json.status, expected, `${c.field} changed: ${expected}`);
      assert.equal((await srv.app.stores.clients.get(r.clientId))?.status, expected, `${c.field}: stored ${expected}`);
      assert.ok((await versionOf(r.clientId)) > before, `${c.field}: every change is a new version`);
      const reasons = (await auditOf(r.clientId, 'client.pending')).map((d) => String(d.reason));
      if (reviewed(c.field))
        assert.ok(
          reasons.some((x) => x.includes(c.field)),
          `${c.field}: the audit names the field (${reasons.join(' | ')})`,
        );
      else assert.deepEqual(reasons, [], `${c.field}: no return to pending`);
    }
  });

  test('V2.3.1 every field a registrant can set is stored and read back, and a case of the update table changes it', async () => {
    const r = await register(BASE);
    const read = await call('GET', r.uri, { token: r.token });
    for (const field of Object.keys(BASE)) {
      if (field === 'grant_types') continue; // "implicit" is derived from the response types
      assert.deepEqual(read.json[field], BASE[field], `${field} is stored and read back`);
    }
    const covered = new Set(CASES.map((c) => baseField(c.field)));
    for (const field of Object.keys(BASE)) assert.ok(covered.has(baseField(field)), `a case changes ${field}`);
  });

  test('V2.3.5 an approval names the version the administrator saw: a stale version is refused with 409, the current one approves and is audited', async () => {
    const r = await register({ ...BASE, client_name: 'Versioned app' });
    const seen = await versionOf(r.clientId);
    const moved = await update(r, { ...BASE, client_name: 'Versioned app', redirect_uris: ['https://app.example/elsewhere'] });
    assert.equal(moved.status, 200, JSON.stringify(moved.json));
    const current = await versionOf(r.clientId);
    assert.ok(current > seen, 'the update made a new version');

    const stale = await approve(r.clientId, seen);
    assert.equal(stale.status, 409, JSON.stringify(stale.json));
    assert.equal(stale.json.error, 'conflict');
    assert.match(String(stale.json.message), /changed/);
    assert.equal((await srv.app.stores.clients.get(r.clientId))?.status, 'pending', 'a stale approval changes nothing');
    assert.deepEqual(await auditOf(r.clientId, 'client.approve'), []);

    for (const bad of ['7', -1, 1.5, null, true]) {
      const refused = await admin('POST', `${clientPath(r.clientId)}/approve`, { version: bad });
      assert.equal(refused.status, 400, `version ${JSON.stringify(bad)}: ${JSON.stringify(refused.json)}`);
    }

    const ok = await approve(r.clientId, current);
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    assert.equal(ok.json.status, 'approved');
    const approvals = await auditOf(r.clientId, 'client.approve');
    assert.equal(approvals.length, 1);
    assert.equal(approvals[0]?.version, current, 'the audit records the approved version');
  });

  test('V2.3.4 an update between the administrator’s GET and the approval makes the approval fail; racing them never leaves the new metadata approved', async () => {
    const r = await register({ ...BASE, client_name: 'Racing app' });
    const seen = await versionOf(r.clientId);
    await update(r, { ...BASE, client_name: 'Racing app', logo_uri: 'https://app.example/new-logo.png' });
    const late = await approve(r.clientId, seen);
    assert.equal(late.status, 409);
    assert.equal((await srv.app.stores.clients.get(r.clientId))?.status, 'pending');

    for (let round = 0; round < 8; round++) {
      const v = await versionOf(r.clientId);
      const [put, approval] = await Promise.all([
        update(r, { ...BASE, client_name: 'Racing app', redirect_uris: [`https://app.example/cb-${round}`] }),
        approve(r.clientId, v),
      ]);
      assert.equal(put.status, 200, JSON.stringify(put.json));
      assert.ok([200, 409].includes(approval.status), `round ${round}: approve answered ${approval.status}`);
      const stored = await srv.app.stores.clients.get(r.clientId);
      assert.equal(stored?.status, 'pending', `round ${round}: the new redirect URI waits for review (approve ${approval.status})`);
      assert.deepEqual(stored?.redirectUris, [`https://app.example/cb-${round}`]);
    }
  });

  test('V2.3.5 the console must send the version it reviewed; the admin API with Basic credentials and the CLI may leave it out', async () => {
    const session = await httpSignIn(srv.baseUrl, 'admin', ADMIN_PASSWORD);
    const csrf = await session.csrf();
    const fromConsole = (key: string, body?: unknown) =>
      fetch(`${srv.baseUrl}${clientPath(key)}/approve`, {
        method: 'POST',
        headers: { cookie: session.cookie, 'x-csrf-token': csrf, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });

    const a = await register({ ...BASE, client_name: 'Console app' });
    const missing = await fromConsole(a.clientId);
    assert.equal(missing.status, 400);
    const missingBody = (await missing.json()) as { error: string; fields: Array<{ field: string }> };
    assert.equal(missingBody.error, 'invalid_request');
    assert.deepEqual(
      missingBody.fields.map((f) => f.field),
      ['version'],
    );
    assert.equal((await srv.app.stores.clients.get(a.clientId))?.status, 'pending');
    const withVersion = await fromConsole(a.clientId, { version: await versionOf(a.clientId) });
    assert.equal(withVersion.status, 200);

    const b = await register({ ...BASE, client_name: 'Script app' });
    const script = await approve(b.clientId);
    assert.equal(script.status, 200, 'a script with Basic credentials may approve without a version');
    const audited = await auditOf(b.clientId, 'client.approve');
    assert.equal(typeof audited[0]?.version, 'number', 'the approved version is audited even when none was sent');

    const c = await register({ ...BASE, client_name: 'CLI app' });
    const cliSeen = await versionOf(c.clientId);
    await update(c, { ...BASE, client_name: 'CLI app', contacts: ['new@app.example'] });
    const cliStale = await latchkey(srv, 'client', 'approve', c.clientId, '--version', String(cliSeen));
    assert.notEqual(cliStale.code, 0, 'the CLI refuses a stale version');
    assert.match(cliStale.stderr, /changed/);
    assert.equal((await srv.app.stores.clients.get(c.clientId))?.status, 'pending');
    const cliOk = await latchkey(srv, 'client', 'approve', c.clientId);
    assert.equal(cliOk.code, 0, cliOk.stderr);
    assert.equal((await srv.app.stores.clients.get(c.clientId))?.status, 'approved');
  });
});

/** [value, as the console shows it]: every hidden character named by its code point, nothing else touched. */
const TEXTS: Array<[string, string]> = [
  ['Payroll portal', 'Payroll portal'],
  ['Invoice\u202Efdp.exe', 'Invoice⟨U+202E⟩fdp.exe'],
  ['\u202Aa\u202Bb\u202Cc\u202Dd', '⟨U+202A⟩a⟨U+202B⟩b⟨U+202C⟩c⟨U+202D⟩d'],
  ['a\u2066b\u2067c\u2068d\u2069', 'a⟨U+2066⟩b⟨U+2067⟩c⟨U+2068⟩d⟨U+2069⟩'],
  ['zero\u200Bwidth\u200C\u200D\u200E\u200F', 'zero⟨U+200B⟩width⟨U+200C⟩⟨U+200D⟩⟨U+200E⟩⟨U+200F⟩'],
  ['\uFEFFbom', '⟨U+FEFF⟩bom'],
  ['soft\u00ADhyphen', 'soft⟨U+00AD⟩hyphen'],
  ['arabic\u061Cmark', 'arabic⟨U+061C⟩mark'],
  ['word\u2060joiner', 'word⟨U+2060⟩joiner'],
  ['tag\u{E0041}\u{E007F}', 'tag⟨U+E0041⟩⟨U+E007F⟩'],
  ['bell\u0007tab\tnl\n', 'bell⟨U+0007⟩tab⟨U+0009⟩nl⟨U+000A⟩'],
  ['del\u007F c1\u0085\u009B', 'del⟨U+007F⟩ c1⟨U+0085⟩⟨U+009B⟩'],
  ['line\u2028para\u2029', 'line⟨U+2028⟩para⟨U+2029⟩'],
  ['no\u00A0break\u3000wide', 'no⟨U+00A0⟩break⟨U+3000⟩wide'],
  ['hangul\u3164filler\u115F', 'hangul⟨U+3164⟩filler⟨U+115F⟩'],
  ['lone \uD800 surrogate', 'lone ⟨U+D800⟩ surrogate'],
  ['private\uE000use', 'private⟨U+E000⟩use'],
  ['Zürich Café', 'Zürich Café'],
  ['e\u0301 combining accent', 'e\u0301 combining accent'],
  ['日本語アプリ', '日本語アプリ'],
  ['עברית ومرحبا', 'עברית ومرحبا'],
  ['emoji 👍🏽 ❤️', 'emoji 👍🏽 ❤️'],
];

/** [URI, host as the server reads it (punycode), IDN, a label mixing scripts]. */
const HOSTS: Array<[string, string, boolean, boolean]> = [
  ['https://app.example/cb', 'app.example', false, false],
  ['https://\u0430pple.example/', 'xn--pple-43d.example', true, true],
  ['https://xn--pple-43d.example/', 'xn--pple-43d.example', true, true],
  ['https://g\u03BF\u03BFgle.example/', domainToASCII('g\u03BF\u03BFgle.example'), true, true],
  ['https://\u0430\u0440\u0440\u04CF\u0435.example/', domainToASCII('\u0430\u0440\u0440\u04CF\u0435.example'), true, false],
  ['https://b\u00FCcher.example/x', 'xn--bcher-kva.example', true, false],
  ['https://例え.jp/', 'xn--r8jz45g.jp', true, false],
  ['https://日本語とカタカナ.jp/', domainToASCII('日本語とカタカナ.jp'), true, false],
  ['https://paypal-\u0455ecure.example:8443/', `${domainToASCII('paypal-\u0455ecure.example')}:8443`, true, true],
  ['http://127.0.0.1:8080/cb', '127.0.0.1:8080', false, false],
  ['http://[::1]/cb', '[::1]', false, false],
];

describe('V2 marks that show a reviewer what a value hides', () => {
  test('V2.3.5 bidi, invisible and control characters are shown as their code points, highlighted, with a warning; other text is left as it is', () => {
    for (const [value, shown] of TEXTS) {
      assert.equal(marks.markedString(value), shown, JSON.stringify(value));
      const marked = marks.markText(value);
      assert.equal(marked.count, (shown.match(/⟨U\+/g) ?? []).length, JSON.stringify(value));
      assert.equal(marks.textWarning(value) !== null, marked.count > 0, JSON.stringify(value));
      if (marked.count > 0) assert.match(marks.textWarning(value) ?? '', /invisible or direction-changing/);
      assert.doesNotMatch(marks.markedString(value), /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}]/u, `${JSON.stringify(value)}: nothing hidden is left`);
      // The parts put together give back the value, so nothing is dropped.
      const joined = marked.parts.map((p) => p.text ?? String.fromCodePoint(Number.parseInt((p.mark ?? '').slice(2), 16))).join('');
      assert.equal(joined, value);
    }
    assert.equal(marks.markText('\u202E').parts[0]?.name, 'RIGHT-TO-LEFT OVERRIDE');
  });

  test('V2.3.5 hosts are shown in punycode, with a warning for every internationalized name and a stronger one for a label mixing scripts', () => {
    for (const [uri, host, idn, mixed] of HOSTS) {
      const r = marks.hostReview(uri);
      assert.ok(r, uri);
      assert.equal(r.host, host, uri);
      assert.equal(r.idn, idn, `${uri}: IDN`);
      assert.equal(r.mixed, mixed, `${uri}: mixed scripts`);
      assert.equal(r.unicode, domainToUnicode(r.host.replace(/:\d+$/, '')), `${uri}: decoded as Node decodes it`);
      if (mixed)
        assert.ok(
          r.warnings.some((w) => /mixes scripts/.test(w)),
          `${uri}: ${r.warnings.join(' | ')}`,
        );
      else if (idn)
        assert.ok(
          r.warnings.some((w) => /internationalized domain name/.test(w)),
          `${uri}: ${r.warnings.join(' | ')}`,
        );
      else assert.deepEqual(r.warnings, [], uri);
    }
    // The parser maps fullwidth letters to ASCII: the host it reads is shown, with a warning.
    const fullwidth = marks.hostReview('https://\uFF41pple.example/');
    assert.equal(fullwidth?.host, 'apple.example');
    assert.equal(fullwidth?.rewritten, true);
    assert.equal(fullwidth?.warnings.length, 1);
    for (const bad of ['not a uri', 'com.example.app:/cb', '/relative']) assert.equal(marks.hostReview(bad), null, bad);
    // RFC 3492 §7.1 sample strings decode as published.
    assert.equal(marks.punycodeDecode('egbpdaj6bu4bxfgehfvwxn'), 'ليهمابتكلموشعربي؟');
    assert.equal(marks.punycodeDecode('-> $1.00 <--'), '-> $1.00 <-');
    assert.equal(marks.punycodeDecode('99'), null, 'an invalid encoding is no name');
  });
});

describe('V2 what the reviewer sees in the console', () => {
  test('V2.3.5 the detail view shows every field of a registered client, marks a bidi name, shows a look-alike host in punycode and the JWKS, and approves only the version it showed', async () => {
    const jwks = { keys: [publicJwk('review-key-1')] };
    const r = await register({
      client_name: 'Invoice\u202Efdp.exe',
      'client_name#fr': 'Factures\u200B',
      client_uri: 'https://\u0430pple.example/',
      logo_uri: 'https://app.example/logo.png',
      'tos_uri#de': 'https://app.example/agb',
      redirect_uris: ['https://app.example/cb'],
      contacts: ['ops@app.example'],
      jwks,
      software_id: 'invoice-tool',
      software_version: '4.2',
      scope: 'openid profile',
    });
    const browser = await launchBrowser();
    try {
      const { page } = browser;
      await page.goto(`${srv.baseUrl}/admin/clients/${r.clientId}`);
      await page.getByLabel('Username').fill('admin');
      await page.getByLabel('Password').fill(ADMIN_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`**/admin/clients/${r.clientId}`);
      const review = page.locator('section:has(#metadata-title)');
      await review.waitFor();
      const text = (await review.textContent()) ?? '';

      const title = (await page.locator('h1 .client-name').textContent()) ?? '';
      assert.ok(!title.includes('\u202E'), 'the override character is not in the page as such');
      assert.match(title, /⟨U\+202E/, 'the override is shown as its code point');
      assert.ok((await page.locator('h1 .client-name .char-mark').count()) > 0, 'and highlighted');
      assert.match(text, /Factures⟨U\+200B/, 'the zero-width space in the French name is marked');
      assert.match(text, /client_name#fr/);
      assert.match(text, /tos_uri#de/);
      assert.match(text, /xn--pple-43d\.example/, 'the look-alike host in punycode');
      assert.match(text, /mixes scripts/i, 'a warning for the mixed-script label');
      assert.match(text, /"kid": "review-key-1"/, 'the JWKS, pretty-printed');
      assert.match(text, /invoice-tool/);
      assert.match(text, /4\.2/);
      assert.match(text, /ops@app\.example/);
      const warnings = (await page.locator('.review-warnings').textContent()) ?? '';
      assert.match(warnings, /invisible or direction-changing/i);
      assert.match(warnings, /client_uri/);

      // The list marks the name too.
      await page.goto(`${srv.baseUrl}/admin/clients?type=oidc`);
      const row = page.locator(`tr[data-key="${r.clientId}"]`);
      await row.waitFor();
      assert.ok((await row.locator('.client-name .char-mark').count()) > 0, 'the list marks the name');

      // Approve sends the version the page showed: a change after the page loaded is refused.
      await page.goto(`${srv.baseUrl}/admin/clients/${r.clientId}`);
      await review.waitFor();
      await update(r, { ...r.body, redirect_uris: ['https://app.example/cb', 'https://app.example/other'] });
      await page.locator('button[data-focus-key="d-approve"]').click();
      const dialog = page.locator('dialog[open]');
      await dialog.getByRole('button', { name: 'Approve' }).click();
      await dialog.locator('.form-error:not([hidden])').waitFor();
      assert.match((await dialog.locator('.form-error').textContent()) ?? '', /changed/);
      assert.equal((await srv.app.stores.clients.get(r.clientId))?.status, 'pending');
      await page.keyboard.press('Escape');

      await page.reload();
      await review.waitFor();
      assert.match((await page.locator('section:has(#settings-title)').textContent()) ?? '', /https:\/\/app\.example\/other/);
      const shown = await versionOf(r.clientId);
      await page.locator('button[data-focus-key="d-approve"]').click();
      await dialog.getByRole('button', { name: 'Approve' }).click();
      await dialog.waitFor({ state: 'detached' });
      assert.equal((await srv.app.stores.clients.get(r.clientId))?.status, 'approved');
      const approvals = await auditOf(r.clientId, 'client.approve');
      assert.equal(approvals[0]?.version, shown, 'the audit records the version the page showed');
      assert.deepEqual(browser.errors, []);
      assert.deepEqual(browser.alerts, []);
    } finally {
      await browser.close();
    }
  });
});
