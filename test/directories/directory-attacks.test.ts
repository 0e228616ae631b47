// Attacks from a directory, or from a directory user, against a real slapd and a real Latchkey
// server: forged or reused unique ids, renames, names shared across directories, hostile attribute
// values, huge group lists, look-alike group DNs, disabled and removed users, and the bind password.
// Each test is named after what Latchkey refuses.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Attribute, Change, Control } from 'ldapts';
import * as oidc from 'openid-client';
import { type Browser, launchBrowser } from '../console/browser.js';
import { basic, makeClient, postForm, type TestClient } from '../oauth2/helpers.js';
import { discover, makeOidcClient, REDIRECT, redirected, walk } from '../oidc/helpers.js';
import { adminApi } from '../support/admin-api.js';
import { CookieJar, signIn } from '../support/instances.js';
import { ADMIN_PASSWORD, startServer, type TestServer } from '../support/server.js';
import { type SeedUser, type Slapd, ssha, startSlapd } from '../support/slapd.js';

const person = (uid: string, password: string, attributes?: Record<string, string | string[]>): SeedUser => ({
  uid,
  cn: `${uid} Person`,
  givenName: uid,
  sn: 'Person',
  mail: `${uid}@example.net`,
  password,
  ...(attributes ? { attributes } : {}),
});

/** The Relax Rules control: lets the rootdn write attributes users may not, such as entryUUID. */
const RELAX_RULES = '1.3.6.1.4.1.4203.666.5.12';

/** Characters no stored name may keep: C0 and C1 controls, bidi embeddings, overrides and isolates, line separators. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is looked for
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;
/** Text that survives UTF-8 unchanged has no lone surrogate (a name cut inside a character). */
const wellFormed = (s: string) => Buffer.from(s, 'utf8').toString('utf8') === s;

describe('directory attacks', { timeout: 600_000 }, () => {
  let corp: Slapd;
  let lab: Slapd;
  /** Same suffix as corp (dc=example,dc=org): its group DNs are corp's, letter for letter. */
  let hr: Slapd;
  let t: TestServer;
  let pw: TestClient;
  const ids = { corp: '', lab: '', hr: '' };
  const log: string[] = [];

  const api = (method: string, path: string, body?: unknown, auth = t.adminAuth) => adminApi(t, method, path, body, auth);
  const basicUser = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

  /** A signed-in browser session, or null when the form refuses. */
  async function session(username: string, password: string): Promise<CookieJar | null> {
    const jar = new CookieJar();
    const res = await signIn(jar, t.baseUrl, username, password, '/admin/account');
    return res.status === 303 && (res.headers.get('location') ?? '').includes('/admin/account') ? jar : null;
  }
  /** GET with a session or an Authorization header. */
  async function get(path: string, auth: CookieJar | string): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = typeof auth === 'string' ? await fetch(`${t.baseUrl}${path}`, { headers: { authorization: auth } }) : await auth.fetch(`${t.baseUrl}${path}`);
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      body = { text };
    }
    return { status: res.status, body };
  }
  /** The id of the user the sign-in form signs in, or null. */
  async function who(username: string, password: string): Promise<string | null> {
    const jar = await session(username, password);
    if (!jar) return null;
    const me = await get('/api/me', jar);
    assert.equal(me.status, 200, JSON.stringify(me.body));
    return String(me.body.id);
  }
  /** An access token from the OAuth 2.0 password grant (RFC 6749 §4.3), or null. */
  async function grant(username: string, password: string, scope = 'profile'): Promise<string | null> {
    const r = await postForm(
      `${t.baseUrl}/api/oauth2/token`,
      { grant_type: 'password', username, password, scope },
      { authorization: basic(pw.key, pw.secret ?? '') },
    );
    if (r.status !== 200) {
      assert.equal(r.status, 400, JSON.stringify(r.json));
      assert.equal(r.json.error, 'invalid_grant');
      return null;
    }
    return String(r.json.access_token);
  }
  const user = (name: string) => t.app.stores.users.findByUsername(name);
  const idOf = async (name: string) => {
    const u = await user(name);
    assert.ok(u, `${name} exists`);
    return u.id;
  };
  const sync = async (id: string) => t.app.directories.importer.sync(await t.app.directories.admin.get(id));
  const importGroup = async (directoryId: string, dn: string) => {
    const r = await api('POST', `/admin/api/directories/${directoryId}/import`, { groups: [dn] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const group = (r.body.groups as Array<{ id: string; external_id: string }>)[0];
    assert.ok(group, `${dn} was imported: ${JSON.stringify(r.body)}`);
    return group;
  };

  before(async () => {
    [corp, lab, hr] = await Promise.all([
      startSlapd({ maxSize: 256 * 1024 * 1024 }),
      startSlapd({
        suffix: 'dc=lab,dc=test',
        users: [person('alice', 'lab-alice-pw'), person('admin', 'lab-admin-pw'), person('ann', 'lab-ann-pw'), person('ann@lab', 'lab-ann2-pw')],
      }),
      startSlapd({ users: [person('hannah', 'hannah-pw-1', { employeeNumber: 'E-100' }), person('henry', 'henry-pw-1', { employeeNumber: 'E-200' })] }),
    ]);
    // Debug level: the secrets test reads every line. A high throttle limit: refusals are what is tested.
    t = await startServer({ env: { LATCHKEY_LOG_LEVEL: 'debug', LATCHKEY_LOGIN_THROTTLE_LIMIT: '10000' }, log });
    const common = { host: '127.0.0.1', create_users_on_sign_in: true, connect_timeout_ms: 1000, read_timeout_ms: 5000 };
    for (const [key, name, s, extra] of [
      ['corp', 'Corp', corp, { groups: { kind: 'member_of' }, email_verified: true }],
      ['lab', 'Lab', lab, {}],
      // A unique id the directory's administrator can set: what a forged id looks like.
      ['hr', 'HR', hr, { groups: { kind: 'member_of' }, attributes: { unique_id: 'employeeNumber' } }],
    ] as const) {
      const r = await api('POST', '/admin/api/directories', {
        ...common,
        ...extra,
        name,
        domain: key,
        port: s.port,
        bind_dn: s.serviceDn,
        bind_password: s.servicePassword,
        users: { base_dn: s.peopleDn },
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      ids[key] = String(r.body.id);
    }
    pw = await makeClient(t, { redirect_uris: [], response_types: [], grant_types: ['password'] });
    for (const [username, password] of [
      ['ann', 'ann internal password'],
      ['ops', 'ops internal password'],
    ]) {
      assert.equal((await api('POST', '/admin/api/users', { username, password, roles: [] })).status, 201);
    }
  });

  after(async () => {
    await t?.close();
    await Promise.all([corp?.cleanup(), lab?.cleanup(), hr?.cleanup()]);
  });

  it('refuses a second entry claiming the unique id of a signed-in user, on every channel and at import', async () => {
    const hannah = await who('hannah', 'hannah-pw-1');
    assert.ok(hannah);
    const before = await user('hannah');
    await hr.addUser(person('mallory', 'mallory-pw-1', { employeeNumber: 'E-100' }));
    const tested = await api('POST', `/admin/api/directories/${ids.hr}/test-user`, { username: 'mallory' });
    assert.equal(tested.body.outcome, 'unknown_user', 'an id two entries hold is nobody’s');
    assert.equal(await who('mallory', 'mallory-pw-1'), null, 'the copy does not sign in as hannah');
    assert.equal(await grant('mallory', 'mallory-pw-1'), null);
    assert.equal((await get('/api/me', basicUser('mallory', 'mallory-pw-1'))).status, 401);
    // Nor does hannah, while her id is not hers alone: neither entry can be told apart.
    assert.equal(await who('hannah', 'hannah-pw-1'), null);
    const after = await user('hannah');
    assert.equal(after?.source?.dn, before?.source?.dn, "hannah's account still points at her entry");
    assert.equal(after?.displayName, before?.displayName);
    // Importing the second entry does not hand out hannah's account either.
    const imported = await api('POST', `/admin/api/directories/${ids.hr}/import`, { users: ['mallory'] });
    assert.equal(imported.status, 200, JSON.stringify(imported.body));
    assert.deepEqual(imported.body.users, []);
    assert.deepEqual(imported.body.not_found, ['mallory']);
    assert.equal((await user('hannah'))?.source?.dn, before?.source?.dn);
    // Once the copy is gone, hannah is hannah again.
    await hr.remove(hr.userDn('mallory'));
    assert.equal(await who('hannah', 'hannah-pw-1'), hannah);
  });

  it('a renamed entry keeps its user; a new entry under the old name gets none of its account, roles or sessions', async () => {
    await corp.addUser(person('rita', 'rita-pw-1'));
    const rita = await who('rita', 'rita-pw-1');
    assert.ok(rita);
    assert.equal((await api('PATCH', '/admin/api/users/rita', { roles: ['user_manager'] })).status, 200);
    const ritaSession = await session('rita', 'rita-pw-1');
    assert.ok(ritaSession);
    assert.equal((await get('/admin/api/users', ritaSession)).status, 200, 'rita manages users');

    await corp.rename(corp.userDn('rita'), `uid=rita.renamed,${corp.peopleDn}`);
    assert.equal(await who('rita.renamed', 'rita-pw-1'), rita, 'same entryUUID, same user');
    assert.equal((await user('rita'))?.source?.dn, `uid=rita.renamed,${corp.peopleDn}`, 'the DN followed');

    // Someone else now gets the name "rita" in the directory.
    await corp.addUser(person('rita', 'new-rita-pw'));
    assert.equal(await who('rita', 'rita-pw-1'), null, 'the old password is not the new entry’s');
    const newcomer = await who('rita', 'new-rita-pw');
    assert.ok(newcomer);
    assert.notEqual(newcomer, rita);
    const created = await t.app.stores.users.get(newcomer);
    assert.equal(created?.username, 'rita@corp', 'the taken name is qualified');
    assert.deepEqual(created?.roles, []);
    const newSession = await session('rita', 'new-rita-pw');
    assert.ok(newSession);
    assert.equal((await get('/admin/api/users', newSession)).status, 403, 'no user_manager for the newcomer');
    assert.equal((await get('/api/me', newSession)).body.id, newcomer);
    const token = await grant('rita', 'new-rita-pw', 'profile latchkey:admin');
    assert.ok(token);
    assert.equal((await get('/api/me', `Bearer ${token}`)).body.id, newcomer);
    assert.equal((await get('/admin/api/users', `Bearer ${token}`)).status, 403);
    // The renamed user's own session is untouched by the newcomer.
    assert.equal((await get('/api/me', ritaSession)).body.id, rita);
  });

  it('a re-sync keeps a renamed user, and does not give it to the entry that took the old name', async () => {
    const rita = await idOf('rita');
    const newcomer = await idOf('rita@corp');
    await sync(ids.corp);
    const renamed = await t.app.stores.users.get(rita);
    assert.equal(renamed?.enabled, true, 'rita.renamed is still in the directory');
    assert.equal(renamed?.source?.dn, `uid=rita.renamed,${corp.peopleDn}`);
    assert.deepEqual(renamed?.roles, ['user_manager']);
    assert.equal((await t.app.stores.users.get(newcomer))?.enabled, true);
    assert.deepEqual((await t.app.stores.users.get(newcomer))?.roles, []);
  });

  it("a directory-B user never signs in to a directory-A user's account, under any name form", async () => {
    const corpAlice = await who('alice', 'alice-pw-1');
    assert.ok(corpAlice);
    // corp comes first and knows "alice": lab's password is wrong there.
    for (const name of ['alice', 'corp\\alice', 'alice@corp', 'CORP\\alice', 'alice@CORP']) {
      assert.equal(await who(name, 'lab-alice-pw'), null, name);
      assert.equal(await grant(name, 'lab-alice-pw'), null, name);
      assert.equal((await get('/api/me', basicUser(name, 'lab-alice-pw'))).status, 401, name);
    }
    const labAlice = await who('lab\\alice', 'lab-alice-pw');
    assert.ok(labAlice);
    assert.notEqual(labAlice, corpAlice);
    assert.equal(await who('alice@lab', 'lab-alice-pw'), labAlice);
    assert.equal((await t.app.stores.users.get(labAlice))?.username, 'alice@lab');
    assert.equal((await t.app.stores.users.get(corpAlice))?.source?.domain, 'corp');
  });

  it("a directory user never signs in to an internal user's account", async () => {
    const ann = await idOf('ann');
    for (const name of ['ann', 'internal\\ann', 'ann@internal', 'corp\\ann']) {
      assert.equal(await who(name, 'lab-ann-pw'), null, name);
      assert.equal(await grant(name, 'lab-ann-pw'), null, name);
      assert.equal((await get('/api/me', basicUser(name, 'lab-ann-pw'))).status, 401, name);
    }
    const labAnn = await who('lab\\ann', 'lab-ann-pw');
    assert.ok(labAnn);
    assert.notEqual(labAnn, ann);
    assert.equal((await t.app.stores.users.get(labAnn))?.username, 'ann@lab');
    // The entry named "ann@lab" is neither of them.
    const other = await who('lab\\ann@lab', 'lab-ann2-pw');
    assert.ok(other !== ann && other !== labAnn, String(other));
    const internalAnn = await user('ann');
    assert.equal(internalAnn?.source, undefined, 'ann stays internal');
    assert.ok(await who('ann', 'ann internal password'), 'and signs in with her own password');
  });

  it('a directory user named admin never signs in as the administrator or gets its roles', async () => {
    const admin = await idOf('admin');
    for (const name of ['admin', 'internal\\admin', 'admin@internal', 'corp\\admin', 'Admin']) {
      assert.equal(await who(name, 'lab-admin-pw'), null, name);
      assert.equal(await grant(name, 'lab-admin-pw', 'profile latchkey:admin'), null, name);
      assert.equal((await get('/admin/api/clients', basicUser(name, 'lab-admin-pw'))).status, 401, name);
    }
    for (const name of ['lab\\admin', 'admin@lab', 'LAB\\admin']) {
      const id = await who(name, 'lab-admin-pw');
      assert.ok(id, name);
      assert.notEqual(id, admin, name);
      const asLab = basicUser(name, 'lab-admin-pw');
      assert.equal((await get('/api/me', asLab)).body.username, 'admin@lab', name);
      assert.equal((await get('/admin/api/clients', asLab)).status, 403, name);
      const token = await grant(name, 'lab-admin-pw', 'profile latchkey:admin');
      assert.ok(token, name);
      assert.equal((await get('/admin/api/users', `Bearer ${token}`)).status, 403, name);
    }
    assert.ok(await who('admin', ADMIN_PASSWORD));
  });

  it("a second directory cannot take over a first directory's user by presenting its unique id", async () => {
    const tested = await api('POST', `/admin/api/directories/${ids.corp}/test-user`, { username: 'carol' });
    const uuid = String((tested.body.entry as { unique_id: string }).unique_id);
    const carol = await who('carol', 'carol-pw-3');
    assert.ok(carol);
    // lab's administrator copies carol's entryUUID into an entry of its own: OpenLDAP lets the
    // rootdn set it with the Relax Rules control (draft-zeilenga-ldap-relax), and a settable id
    // attribute (hr's employeeNumber) needs nothing at all.
    await lab.asRoot((c) =>
      c.add(
        `uid=carol,${lab.peopleDn}`,
        [
          ['objectClass', 'inetOrgPerson'],
          ['uid', 'carol'],
          ['cn', 'Carol Forged'],
          ['sn', 'Forged'],
          ['userPassword', ssha('lab-carol-pw')],
          ['entryUUID', uuid],
        ].map(([type, value]) => new Attribute({ type: type ?? '', values: [value ?? ''] })),
        new Control(RELAX_RULES, { critical: true }),
      ),
    );
    await hr.addUser(person('carol', 'hr-carol-pw', { employeeNumber: uuid }));
    const viaLab = await who('lab\\carol', 'lab-carol-pw');
    const viaHr = await who('hr\\carol', 'hr-carol-pw');
    assert.deepEqual({ lab: viaLab === carol, hr: viaHr === carol }, { lab: false, hr: false }, "signed in to corp carol's account");
  });

  it("an entry named like another directory's qualified name does not take that name", async () => {
    await lab.addUser(person('zed', 'lab-zed-pw'));
    await corp.addUser(person('zed', 'corp-zed-pw'));
    await corp.addUser(person('zed@lab', 'corp-zed2-pw'));
    assert.ok(await who('zed', 'corp-zed-pw'));
    const squatter = await who('corp\\zed@lab', 'corp-zed2-pw');
    assert.ok(squatter);
    assert.notEqual((await t.app.stores.users.get(squatter))?.username, 'zed@lab', "corp's entry is not shown as lab's zed");
    const labZed = await who('lab\\zed', 'lab-zed-pw');
    assert.ok(labZed, "lab's zed still signs in");
    assert.equal((await t.app.stores.users.get(labZed))?.username, 'zed@lab');
  });

  it('a directory name that only looks like an internal one is not kept as it looks', async () => {
    // LDAP matching ignores leading and trailing spaces (RFC 4518 §2.6.1): "ops" finds "ops ".
    await lab.addEntry(`uid=ops\\ ,${lab.peopleDn}`, {
      objectClass: 'inetOrgPerson',
      uid: 'ops ',
      cn: 'ops',
      sn: 'x',
      userPassword: ssha('lab-ops-pw'),
    });
    const id = await who('lab\\ops', 'lab-ops-pw');
    assert.ok(id);
    assert.notEqual(id, await idOf('ops'));
    const created = await t.app.stores.users.get(id);
    assert.equal(created?.username, 'ops@lab', JSON.stringify(created?.username));
    const listed = await api('GET', '/admin/api/users?search=ops');
    const names = (listed.body.items as Array<{ username: string }>).map((u) => u.username);
    assert.deepEqual(
      names.filter((n) => n.trim().toLowerCase() === 'ops'),
      ['ops'],
      JSON.stringify(names),
    );
    // A name with an invisible character would look like "admin": refused, not created.
    await lab.addEntry(`uid=adm\u200bin,${lab.peopleDn}`, {
      objectClass: 'inetOrgPerson',
      uid: 'adm\u200bin',
      cn: 'admin',
      sn: 'x',
      userPassword: ssha('lab-zw-pw'),
    });
    const tested = await api('POST', `/admin/api/directories/${ids.lab}/test-user`, { username: 'adm\u200bin', password: 'lab-zw-pw' });
    assert.equal(tested.body.outcome, 'signed_in', 'the directory accepts the password; Latchkey refuses the name');
    assert.equal(await who('lab\\adm\u200bin', 'lab-zw-pw'), null);
    assert.equal(await user('adm\u200bin@lab'), undefined);
    assert.equal(await user('adm\u200bin'), undefined);
  });

  describe('hostile attribute values', () => {
    let browser: Browser | undefined;
    after(async () => {
      await browser?.close();
    });
    const HOSTILE = '<img src=x onerror=alert(1)>';
    // What a page, a log line or a token could trip on: markup, C0 and C1 controls, bidi overrides and
    // isolates, line separators, 100 kB. The family name puts an emoji across the 200-character cut.
    const CN = `Eve ${HOSTILE}\u0007\u001b[31m\u0085\u009b\u202Egpj.exe\u2066\u2028\u2029${'e'.repeat(150)}\u{1F600}${'z'.repeat(100_000)}`;

    it('cleans control, bidi and oversized values from the stored user, the admin API and the UserInfo claims', async () => {
      await corp.addEntry(`uid=eve,${corp.peopleDn}`, {
        objectClass: 'inetOrgPerson',
        uid: 'eve',
        cn: CN,
        sn: `${'s'.repeat(199)}\u{1F600}tail`,
        givenName: '\u202E\u0085Eve\u2069',
        mail: `eve@example.org${HOSTILE.replace(/ /g, '')}`,
        userPassword: ssha('eve-pw-1'),
      });
      assert.ok(await who('eve', 'eve-pw-1'));
      const eve = await user('eve');
      assert.ok(eve);
      for (const [field, value] of [
        ['displayName', eve.displayName],
        ['givenName', eve.profile?.givenName ?? ''],
        ['familyName', eve.profile?.familyName ?? ''],
        ['email', eve.email ?? ''],
      ] as const) {
        assert.ok(!UNSAFE.test(value), `${field}: ${JSON.stringify(value)}`);
        assert.ok([...value].length <= 200, `${field} is bounded (${[...value].length} characters)`);
        assert.ok(wellFormed(value), `${field} was not cut inside a character: ${JSON.stringify(value.slice(-3))}`);
      }
      assert.match(eve.displayName, /^Eve <img src=x onerror=alert\(1\)>/, 'kept as text, not dropped');
      assert.equal(eve.profile?.givenName, 'Eve');

      const viewed = await api('GET', '/admin/api/users/eve');
      assert.equal(viewed.status, 200);
      assert.equal(viewed.body.display_name, eve.displayName);
      assert.ok(!UNSAFE.test(JSON.stringify(viewed.body)), JSON.stringify(viewed.body).slice(0, 300));

      // The code flow as a relying party sees it: the ID token and UserInfo (OIDC Core §5.3).
      const rp = await makeOidcClient(t);
      const config = await discover(t, rp);
      const verifier = oidc.randomPKCECodeVerifier();
      const nonce = oidc.randomNonce();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT,
        scope: 'openid profile email',
        nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      const r = await walk(new CookieJar(), t, url.href, { username: 'eve', password: 'eve-pw-1' });
      const tokens = await oidc.authorizationCodeGrant(config, redirected(r), { pkceCodeVerifier: verifier, expectedNonce: nonce });
      const claims = tokens.claims();
      assert.ok(claims);
      const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
      assert.equal(info.name, eve.displayName);
      assert.equal(info.given_name, 'Eve');
      for (const source of [info, claims]) {
        for (const v of Object.values(source)) if (typeof v === 'string') assert.ok(!UNSAFE.test(v) && wellFormed(v), JSON.stringify(v));
      }
    });

    it('reads invalid UTF-8 and NUL bytes as text, never as a crash', async () => {
      // jpegPhoto is an octet string: the directory stores any bytes. Mapped as the given name here.
      assert.equal((await api('PATCH', `/admin/api/directories/${ids.lab}`, { attributes: { given_name: 'jpegPhoto' } })).status, 200);
      try {
        await lab.addEntry(`uid=bytes,${lab.peopleDn}`, {
          objectClass: 'inetOrgPerson',
          uid: 'bytes',
          cn: 'bytes',
          sn: 'x',
          jpegPhoto: Buffer.from([0xff, 0xfe, 0x00, 0x41, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0x1b, 0x42]),
          userPassword: ssha('bytes-pw-1'),
        });
        assert.ok(await who('lab\\bytes', 'bytes-pw-1'));
        const stored = await user('bytes');
        const given = stored?.profile?.givenName ?? '';
        assert.ok(!UNSAFE.test(given) && wellFormed(given), JSON.stringify(given));
        assert.match(given, /A.*B/, JSON.stringify(given));
        assert.equal((await api('GET', '/admin/api/users/bytes')).status, 200);
      } finally {
        assert.equal((await api('PATCH', `/admin/api/directories/${ids.lab}`, { attributes: { given_name: 'givenName' } })).status, 200);
      }
    });

    it('imports a group whose name carries control and bidi characters as plain text, not a refusal of the whole import', async () => {
      const name = `ops\u202esnimda\u0007${HOSTILE}`;
      await corp.addEntry(`cn=ops\u202esnimda\\07${HOSTILE.replace(/[<>=]/g, (c) => `\\${c}`)},${corp.groupsDn}`, {
        objectClass: 'groupOfNames',
        cn: name,
        member: corp.userDn('alice'),
      });
      const found = await api('GET', `/admin/api/directories/${ids.corp}/groups?query=ops`);
      const dn = (found.body.items as Array<{ dn: string; name: string }>).find((g) => g.name === name)?.dn;
      assert.ok(dn, JSON.stringify(found.body));
      const r = await api('POST', `/admin/api/directories/${ids.corp}/import`, { groups: [dn] });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const group = (r.body.groups as Array<{ name: string }>)[0];
      assert.equal(group?.name, `opssnimda${HOSTILE}`);
    });

    it('the console shows hostile names as text: no element, no script', async () => {
      browser = await launchBrowser();
      const page = browser.page;
      await page.goto(`${t.baseUrl}/admin/users?search=eve`);
      await page.getByLabel('Username').fill('admin');
      await page.getByLabel('Password').fill(ADMIN_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL((u) => u.pathname === '/admin/users');
      const row = page.locator('tbody tr:has(th:has-text("eve"))').first();
      await row.waitFor();
      const text = (await row.textContent()) ?? '';
      assert.ok(text.includes(HOSTILE), text.slice(0, 200));
      assert.equal(await page.locator('tbody img').count(), 0, 'the markup stayed text');
      assert.deepEqual(browser.alerts, []);
      assert.deepEqual(browser.errors, []);
    });
  });

  describe('huge group lists', () => {
    const GROUPS = 2000;
    const groupDn = (i: number) => `cn=g${String(i).padStart(4, '0')},${corp.groupsDn}`;

    it('a user in 2,000 groups signs in and is looked up within the caps', async (ctx) => {
      await corp.addUser(person('gus', 'gus-pw-1'));
      const gus = corp.userDn('gus');
      // The memberOf overlay gives gus a memberOf value for each group he joins.
      await corp.asRoot(async (c) => {
        for (let i = 0; i < GROUPS; i++) await c.add(groupDn(i), { objectClass: 'groupOfNames', cn: `g${String(i).padStart(4, '0')}`, member: gus });
      });
      const started = Date.now();
      assert.ok(await who('gus', 'gus-pw-1'));
      const took = Date.now() - started;
      ctx.diagnostic(`sign-in with 2,000 groups: ${took} ms`);
      assert.ok(took < 10_000, `sign-in took ${took} ms`);
      const tested = await api('POST', `/admin/api/directories/${ids.corp}/test-user`, { username: 'gus' });
      assert.equal(tested.status, 200, JSON.stringify(tested.body).slice(0, 300));
      const groups = (tested.body.entry as { groups: unknown[] }).groups;
      assert.equal(groups.length, 1000, 'at most 1,000 groups are read (src/adapters/ldap/client.ts)');
      const preview = await api('GET', `/admin/api/directories/${ids.corp}/users?query=gus`);
      assert.equal(preview.status, 200);
      assert.equal((preview.body.items as Array<{ groups: unknown[] }>)[0]?.groups.length, 1000);
      const listed = await api('GET', `/admin/api/directories/${ids.corp}/groups?query=g&limit=50`);
      assert.equal(listed.status, 200);
      assert.equal((listed.body.items as unknown[]).length, 50, 'the preview keeps to its limit');
      const before = Date.now();
      const imported = await api('POST', `/admin/api/directories/${ids.corp}/import`, { users: ['gus'] });
      assert.equal(imported.status, 200, JSON.stringify(imported.body).slice(0, 300));
      ctx.diagnostic(`import of a user in 2,000 groups: ${Date.now() - before} ms`);
      assert.ok(Date.now() - before < 10_000, `import took ${Date.now() - before} ms`);
      const synced = Date.now();
      assert.equal(await sync(ids.corp).then((r) => r.unavailable), false, 'a re-sync reads gus within the timeouts');
      ctx.diagnostic(`re-sync: ${Date.now() - synced} ms`);
    });

    it('imports one group among 2,000 by its DN', async () => {
      const group = await importGroup(ids.corp, groupDn(GROUPS - 1));
      assert.equal(group.external_id, groupDn(GROUPS - 1));
    });

    it('a group with 50,000 members imports within bounds and links only its known members', async (ctx) => {
      const huge = `cn=huge,${corp.groupsDn}`;
      const ghosts = Array.from({ length: 50_000 }, (_, i) => `uid=ghost${i},${corp.peopleDn}`);
      await corp.asRoot(async (c) => {
        // In slices, each well within the helper's 5 s operation timeout on a busy machine.
        const SLICE = 2000;
        await c.add(huge, { objectClass: 'groupOfNames', cn: 'huge', member: [corp.userDn('alice'), ...ghosts.slice(0, SLICE)] });
        for (let i = SLICE; i < ghosts.length; i += SLICE) {
          await c.modify(huge, new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: ghosts.slice(i, i + SLICE) }) }));
        }
      });
      const found = await api('GET', `/admin/api/directories/${ids.corp}/groups?query=huge`);
      assert.equal(found.status, 200);
      assert.deepEqual(found.body.items, [{ dn: huge, name: 'huge', members: 50_001, imported: false }]);
      const started = Date.now();
      const group = await importGroup(ids.corp, huge);
      ctx.diagnostic(`import of a 50,000-member group: ${Date.now() - started} ms`);
      assert.ok(Date.now() - started < 30_000, `import took ${Date.now() - started} ms`);
      const members = await api('GET', `/admin/api/groups/${group.id}/members`);
      assert.deepEqual(
        (members.body.items as Array<{ username: string }>).map((u) => u.username),
        ['alice'],
      );
      assert.ok(await who('alice', 'alice-pw-1'), 'alice still signs in');
    });
  });

  it('a look-alike group elsewhere in the tree or in another directory does not join the imported admin group', async () => {
    const admins = await importGroup(ids.corp, corp.groupDn('admins'));
    assert.equal((await api('PATCH', `/admin/api/groups/${admins.id}`, { roles: ['server_administrator'] })).status, 200);
    // The real membership works: alice is in corp's admins.
    assert.ok(await who('alice', 'alice-pw-1'));
    assert.deepEqual((await user('alice'))?.groupRoles, ['server_administrator']);

    // In corp, another branch: cn=admins under ou=people, with mallet in it.
    await corp.addUser(person('mallet', 'mallet-pw-1'));
    await corp.addEntry(`cn=admins,${corp.peopleDn}`, { objectClass: 'groupOfNames', cn: 'admins', member: corp.userDn('mallet') });
    await corp.addEntry(`ou=groups,${corp.peopleDn}`, { objectClass: 'organizationalUnit', ou: 'groups' });
    await corp.addEntry(`cn=Admins, ou=groups,${corp.peopleDn}`, { objectClass: 'groupOfNames', cn: 'Admins', member: corp.userDn('mallet') });
    assert.ok(await who('mallet', 'mallet-pw-1'));
    const mallet = await user('mallet');
    assert.equal(mallet?.groupRoles, undefined, 'no role from a group that only shares the name');
    assert.equal((await get('/admin/api/clients', basicUser('mallet', 'mallet-pw-1'))).status, 403);

    // hr has the same suffix: its cn=admins,ou=groups,dc=example,dc=org is corp's DN letter for letter.
    await hr.addMember('admins', hr.userDn('henry'));
    const henry = await who('hr\\henry', 'henry-pw-1');
    assert.ok(henry);
    const tested = await api('POST', `/admin/api/directories/${ids.hr}/test-user`, { username: 'henry' });
    assert.ok(
      (tested.body.entry as { groups: Array<{ dn: string }> }).groups.some((g) => g.dn.toLowerCase() === corp.groupDn('admins').toLowerCase()),
      JSON.stringify(tested.body),
    );
    assert.equal((await t.app.stores.users.get(henry))?.groupRoles, undefined, "another directory's group of the same DN is another group");
    assert.equal((await get('/admin/api/clients', basicUser('hr\\henry', 'henry-pw-1'))).status, 403);
    const members = await api('GET', `/admin/api/groups/${admins.id}/members`);
    assert.deepEqual(
      (members.body.items as Array<{ username: string }>).map((u) => u.username),
      ['alice'],
    );
  });

  it('a user disabled in Latchkey stays out with the right directory password, on every password channel', async () => {
    assert.ok(await who('bob', 'bob-pw-2'));
    assert.equal((await api('PATCH', '/admin/api/users/bob', { enabled: false })).status, 200);
    for (const name of ['bob', 'corp\\bob', 'bob@corp']) {
      assert.equal(await who(name, 'bob-pw-2'), null, `form: ${name}`);
      assert.equal(await grant(name, 'bob-pw-2'), null, `password grant: ${name}`);
      assert.equal((await get('/admin/api/users', basicUser(name, 'bob-pw-2'))).status, 401, `Basic: ${name}`);
    }
    // A re-sync reads bob's entry but does not enable him again.
    await sync(ids.corp);
    assert.equal((await user('bob'))?.enabled, false);
    assert.equal(await who('bob', 'bob-pw-2'), null);
  });

  it('a user removed from the directory loses access at the next sign-in, and their sessions and tokens at the next re-sync', async () => {
    await corp.addUser(person('dora', 'dora-pw-1'));
    const jar = await session('dora', 'dora-pw-1');
    assert.ok(jar);
    const token = await grant('dora', 'dora-pw-1');
    assert.ok(token);
    await corp.removeUser('dora');
    assert.equal(await who('dora', 'dora-pw-1'), null);
    assert.equal(await grant('dora', 'dora-pw-1'), null);
    assert.equal((await get('/api/me', basicUser('dora', 'dora-pw-1'))).status, 401);
    const report = await sync(ids.corp);
    assert.ok(report.disabled >= 1, JSON.stringify(report));
    assert.equal((await user('dora'))?.enabled, false);
    assert.equal((await get('/api/me', jar)).status, 401, 'the session ended');
    assert.equal((await get('/api/me', `Bearer ${token}`)).status, 401, 'the token ended');
  });

  it("leaving the imported admin group in the directory ends the member's roles, sessions and tokens at the next re-sync", async () => {
    await corp.addUser(person('fay', 'fay-pw-1'));
    await corp.addMember('admins', corp.userDn('fay'));
    const jar = await session('fay', 'fay-pw-1');
    assert.ok(jar);
    const token = await grant('fay', 'fay-pw-1', 'profile latchkey:admin');
    assert.ok(token);
    assert.equal((await get('/admin/api/clients', jar)).status, 200, 'server_administrator through the group');
    assert.equal((await get('/admin/api/clients', `Bearer ${token}`)).status, 200);
    await corp.removeMember('admins', corp.userDn('fay'));
    await sync(ids.corp);
    assert.equal((await user('fay'))?.groupRoles, undefined, 'the role is gone');
    assert.equal((await get('/api/me', jar)).status, 401, 'the session ended');
    assert.equal((await get('/admin/api/clients', `Bearer ${token}`)).status, 401, 'the token ended');
    assert.equal((await get('/admin/api/clients', basicUser('fay', 'fay-pw-1'))).status, 403, 'signing in again gives no role');
  });

  it('never shows the bind password: not in answers, the audit, error texts or the debug log', async () => {
    const wrong = `wrong-bind-${randomBytes(8).toString('hex')}`;
    const secrets = [corp.servicePassword, lab.servicePassword, hr.servicePassword, wrong];
    const answers: unknown[] = [];
    const keep = <R extends { body: unknown }>(r: R): R => {
      answers.push(r.body);
      return r;
    };
    keep(await api('GET', '/admin/api/directories'));
    keep(await api('GET', `/admin/api/directories/${ids.lab}`));
    // A wrong password: the test, the health and sign-ins report the failure without it.
    assert.equal(keep(await api('PATCH', `/admin/api/directories/${ids.lab}`, { bind_password: wrong })).status, 200);
    const failed = keep(await api('POST', `/admin/api/directories/${ids.lab}/test`));
    assert.equal(failed.body.ok, false);
    assert.match(String(failed.body.reason), /refused the service account/);
    assert.equal(await who('lab\\alice', 'lab-alice-pw'), null);
    const health = keep(await api('GET', `/admin/api/directories/${ids.lab}`));
    assert.match(String((health.body.health as { last_error: string }).last_error), /refused the service account/);
    keep(await api('POST', `/admin/api/directories/${ids.lab}/test-user`, { username: 'alice', password: 'lab-alice-pw' }));
    // Refused settings do not echo the password back.
    keep(await api('PATCH', `/admin/api/directories/${ids.lab}`, { bind_password: `${wrong}${'x'.repeat(1100)}` }));
    keep(
      await api('POST', '/admin/api/directories', {
        name: 'x',
        domain: 'internal',
        host: 'h',
        bind_dn: 'cn=x',
        bind_password: wrong,
        users: { base_dn: 'dc=x' },
      }),
    );
    keep(
      await api('POST', '/admin/api/directories', {
        name: 'dup',
        domain: 'lab',
        host: '127.0.0.1',
        port: lab.port,
        bind_dn: 'cn=x',
        bind_password: wrong,
        users: { base_dn: 'dc=x' },
      }),
    );
    assert.equal(keep(await api('PATCH', `/admin/api/directories/${ids.lab}`, { bind_password: lab.servicePassword })).status, 200);
    assert.deepEqual(keep(await api('POST', `/admin/api/directories/${ids.lab}/test`)).body, { ok: true });
    keep(await api('GET', '/admin/api/audit?limit=500'));
    const audit = answers.at(-1) as { items: unknown[] };
    assert.ok(audit.items.length > 20, 'the audit was read');

    const text = JSON.stringify(answers);
    for (const s of secrets) assert.ok(!text.includes(s), `an answer holds ${s === wrong ? 'the wrong password' : 'a bind password'}`);
    assert.ok(log.length > 50, `the log was collected (${log.length} lines)`);
    for (const s of secrets)
      assert.deepEqual(
        log.filter((line) => line.includes(s)),
        [],
        'a log line holds a bind password',
      );
    // Nor the users' directory passwords this suite signed in with, right or wrong.
    for (const s of ['alice-pw-1', 'lab-alice-pw', 'lab-admin-pw', 'mallory-pw-1', 'lab-carol-pw', 'eve-pw-1', 'dora-pw-1', ADMIN_PASSWORD]) {
      assert.deepEqual(
        log.filter((line) => line.includes(s) || line.includes(encodeURIComponent(s))),
        [],
        s,
      );
      assert.ok(!text.includes(s), s);
    }
  });
});
