// Runs again on PostgreSQL: @backends sqlite postgres
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { httpSignIn } from '../console/http-session.js';
import { startServer, type TestServer } from '../support/server.js';

interface Json {
  [k: string]: unknown;
}

const XSS = '<img src=x onerror=alert(1)>';

/** The standard profile claims of users (OIDC Core §5.1) through the admin API and My account. */
describe('user profiles', () => {
  let t: TestServer;
  let managerAuth: string;
  let plainAuth: string;

  const call = async (method: string, path: string, body?: unknown, auth = managerAuth) => {
    const res = await fetch(`${t.baseUrl}${path}`, {
      method,
      headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let json: Json = {};
    try {
      json = JSON.parse(text) as Json;
    } catch {
      json = { text };
    }
    return { status: res.status, json };
  };

  before(async () => {
    t = await startServer();
    const mk = async (username: string, roles: string[]) => {
      const r = await call('POST', '/admin/api/users', { username, password: 'a-good-password', roles }, t.adminAuth);
      assert.equal(r.status, 201, JSON.stringify(r.json));
      return `Basic ${Buffer.from(`${username}:a-good-password`).toString('base64')}`;
    };
    managerAuth = await mk('manager', ['user_manager']);
    plainAuth = await mk('plain', []);
    await mk('carol', []);
  });
  after(() => t.close());

  it('a User Manager sets, shows and clears the profile fields through the admin API; values are stored in their canonical form', async () => {
    const set = await call('PATCH', '/admin/api/users/carol', {
      given_name: '  Carol ',
      family_name: 'Ng',
      middle_name: 'Ann',
      nickname: 'Caz',
      profile: 'https://People.Example/carol',
      picture: 'http://people.example/carol.png',
      website: 'https://carol.example',
      gender: 'non-binary',
      birthdate: '0000-02-29',
      zoneinfo: 'europe/paris',
      locale: 'en-us',
      phone_number: '+1 (425) 555-1212',
      address: { street_address: 'Flat 2\r\n1 High Street', locality: 'Leeds', country: 'GB', region: '' },
    });
    assert.equal(set.status, 200, JSON.stringify(set.json));
    const shown = await call('GET', '/admin/api/users/carol');
    assert.equal(shown.status, 200);
    const { profile_updated_at, ...view } = shown.json;
    assert.equal(typeof profile_updated_at, 'string');
    for (const [field, value] of Object.entries({
      given_name: 'Carol',
      family_name: 'Ng',
      middle_name: 'Ann',
      nickname: 'Caz',
      profile: 'https://people.example/carol',
      picture: 'http://people.example/carol.png',
      website: 'https://carol.example/',
      gender: 'non-binary',
      birthdate: '0000-02-29',
      zoneinfo: 'Europe/Paris',
      locale: 'en-US',
      phone_number: '+14255551212',
      address: { street_address: 'Flat 2\n1 High Street', locality: 'Leeds', country: 'GB' },
    })) {
      assert.deepEqual(view[field], value, field);
    }
    // Time zone links Intl knows are IANA names too.
    for (const zone of ['UTC', 'Asia/Kolkata', 'America/Argentina/Buenos_Aires']) {
      const r = await call('PATCH', '/admin/api/users/carol', { zoneinfo: zone });
      assert.equal(r.status, 200, zone);
      assert.equal(r.json.zoneinfo, zone);
    }
    // null and "" clear; absent fields stay.
    const cleared = await call('PATCH', '/admin/api/users/carol', { nickname: null, gender: '', address: null });
    assert.equal(cleared.status, 200);
    assert.deepEqual([cleared.json.nickname, cleared.json.gender, cleared.json.address, cleared.json.given_name], [null, null, null, 'Carol']);
    // A user is created with a profile too.
    const created = await call(
      'POST',
      '/admin/api/users',
      { username: 'dave', password: 'a-good-password', given_name: 'Dave', birthdate: '1970' },
      t.adminAuth,
    );
    assert.equal(created.status, 201, JSON.stringify(created.json));
    assert.deepEqual([created.json.given_name, created.json.birthdate, created.json.family_name], ['Dave', '1970', null]);
  });

  it('refuses every malformed profile value with 400 naming the field, never 500, and changes nothing', async () => {
    const before = await call('GET', '/admin/api/users/carol');
    const cases: Array<[string, unknown, string]> = [
      ['given_name', 7, 'given_name'],
      ['given_name', 'x'.repeat(201), 'given_name'],
      ['family_name', 'Ng\u001b[31m', 'family_name'],
      ['middle_name', 'A\u202eB', 'middle_name'],
      ['nickname', '\ud800', 'nickname'],
      ['nickname', ['Caz'], 'nickname'],
      ['gender', { x: 1 }, 'gender'],
      ['profile', 'javascript:alert(1)', 'profile'],
      ['profile', 'ftp://people.example/carol', 'profile'],
      ['profile', '/carol', 'profile'],
      ['picture', 'https://user:pass@people.example/p.png', 'picture'],
      ['picture', 'https://people.example/a b.png', 'picture'],
      ['website', `https://example.com/${'a'.repeat(2000)}`, 'website'],
      ['website', 'https://exa\tmple.com/', 'website'],
      ['website', 'data:text/html,<script>alert(1)</script>', 'website'],
      ['birthdate', '1990-13-01', 'birthdate'],
      ['birthdate', '1900-02-29', 'birthdate'],
      ['birthdate', '1990-04-31', 'birthdate'],
      ['birthdate', '90-01-01', 'birthdate'],
      ['birthdate', '0000', 'birthdate'],
      ['birthdate', '1990-01-01T00:00:00Z', 'birthdate'],
      ['zoneinfo', '+05:30', 'zoneinfo'],
      ['zoneinfo', 'Mars/Olympus', 'zoneinfo'],
      ['zoneinfo', '../../etc/passwd', 'zoneinfo'],
      ['locale', 'en_US', 'locale'],
      ['locale', 'x', 'locale'],
      ['locale', 'en-', 'locale'],
      ['phone_number', '4255551212', 'phone_number'],
      ['phone_number', '+0123456', 'phone_number'],
      ['phone_number', '+1234567890123456', 'phone_number'],
      ['address', 'Leeds', 'address'],
      ['address', { city: 'Leeds' }, 'address.city'],
      ['address', { country: 7 }, 'address.country'],
      ['address', { street_address: 'a\u0007b' }, 'address.street_address'],
      ['address', { postal_code: 'x'.repeat(21) }, 'address.postal_code'],
      ['address', { locality: 'Leeds\nWest' }, 'address.locality'],
    ];
    for (const [field, value, named] of cases) {
      for (const [method, path, auth] of [
        ['PATCH', '/admin/api/users/carol', managerAuth],
        ['POST', '/admin/api/users', t.adminAuth],
      ] as const) {
        const body = method === 'POST' ? { username: 'erin', password: 'a-good-password', [field]: value } : { [field]: value };
        const r = await call(method, path, body, auth);
        assert.equal(r.status, 400, `${method} ${field}=${JSON.stringify(value).slice(0, 60)}: ${JSON.stringify(r.json)}`);
        const fields = ((r.json.fields ?? []) as Array<{ field: string }>).map((f) => f.field);
        assert.ok(fields.includes(named), `${field}: ${JSON.stringify(r.json)}`);
      }
    }
    assert.deepEqual(await call('GET', '/admin/api/users/carol'), before, 'nothing was written');
    assert.equal((await call('GET', '/admin/api/users/erin')).status, 404, 'nobody was created');
  });

  it("only holders of manage_users change another user's profile through the admin API", async () => {
    const r = await call('PATCH', '/admin/api/users/carol', { given_name: 'Mallory' }, plainAuth);
    assert.equal(r.status, 403);
    assert.equal((await call('GET', '/admin/api/users/carol')).json.given_name, 'Carol');
  });

  it('My account edits the profile fields; a bad one is refused beside the field, keeps what was typed and saves nothing', async () => {
    const s = await httpSignIn(t.baseUrl, 'plain', 'a-good-password');
    const csrf = await s.csrf();
    const form = {
      csrf_token: csrf,
      display_name: 'Plain User',
      email: 'plain@example.test',
      given_name: 'Plain',
      family_name: 'User',
      nickname: XSS,
      website: 'https://plain.example/',
      birthdate: '1999-12-31',
      zoneinfo: 'America/New_York',
      locale: 'fr-CA',
      phone_number: '+1 514 555 0100',
      'address.street_address': '1 Rue Example\r\nApt 3',
      'address.locality': 'Montréal',
      'address.country': 'CA',
    };
    let res = await s.postForm('/account/profile', form);
    assert.equal(res.status, 303, await res.text());
    let page = await (await s.get('/admin/account')).text();
    assert.match(page, /id="given_name" name="given_name"[^>]* value="Plain"/);
    assert.match(page, /id="zoneinfo" name="zoneinfo"[^>]* value="America\/New_York"/);
    assert.match(page, /<textarea id="address-street_address"[^>]*>1 Rue Example\nApt 3<\/textarea>/);
    assert.ok(!page.includes(XSS) && page.includes('&#60;img src=x onerror=alert(1)&#62;'), 'the nickname is escaped');
    const saved = (await call('GET', '/admin/api/users/plain', undefined, t.adminAuth)).json;
    assert.deepEqual(
      [saved.phone_number, saved.locale, saved.address],
      ['+15145550100', 'fr-CA', { street_address: '1 Rue Example\nApt 3', locality: 'Montréal', country: 'CA' }],
    );

    res = await s.postForm('/account/profile', { ...form, given_name: 'Changed', zoneinfo: 'Nowhere/Special' });
    assert.equal(res.status, 400);
    page = await res.text();
    assert.match(page, /<p class="field-error" id="zoneinfo-error">Time zone: must be an IANA time zone name/);
    assert.match(page, /id="zoneinfo" name="zoneinfo"[^>]* aria-describedby="zoneinfo-hint zoneinfo-error" aria-invalid="true" value="Nowhere\/Special"/);
    assert.match(page, /value="Changed"/, 'what was typed is kept');
    assert.equal((await call('GET', '/admin/api/users/plain', undefined, t.adminAuth)).json.given_name, 'Plain', 'nothing was saved');

    // Emptied fields are removed; no CSRF token, no change.
    res = await s.postForm('/account/profile', { ...form, csrf_token: 'x', given_name: '' });
    assert.equal(res.status, 400);
    assert.equal((await call('GET', '/admin/api/users/plain', undefined, t.adminAuth)).json.given_name, 'Plain');
    const emptied = Object.fromEntries(Object.entries(form).map(([k, v]) => [k, k.startsWith('address.') ? '' : v]));
    res = await s.postForm('/account/profile', { ...emptied, given_name: '' });
    assert.equal(res.status, 303);
    const after = (await call('GET', '/admin/api/users/plain', undefined, t.adminAuth)).json;
    assert.deepEqual([after.given_name, after.address, after.family_name], [null, null, 'User']);
  });

  it('the OpenAPI document describes the profile fields of users', async () => {
    const doc = (await (await fetch(`${t.baseUrl}/admin/api/openapi.json`)).json()) as {
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    for (const schema of ['UserInput', 'UserPatch']) {
      const props = Object.keys(doc.components.schemas[schema]?.properties ?? {});
      for (const f of ['given_name', 'picture', 'birthdate', 'zoneinfo', 'locale', 'phone_number', 'address']) assert.ok(props.includes(f), `${schema}.${f}`);
    }
  });
});
