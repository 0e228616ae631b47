// LDAPS and StartTLS end to end: an administrator adds directories over the admin API with the
// directory's CA as ca_bundle, tests them, and LDAP users sign in through the form. Untrusted
// certificates and certificates for another host are refused with a reason for the administrator,
// as a failed sign-in for the user, and without touching local sign-in.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { adminApi, signsIn } from '../support/admin-api.js';
import { CookieJar, signIn } from '../support/instances.js';
import { ADMIN_PASSWORD, startServer, type TestServer } from '../support/server.js';
import { type Slapd, startSlapd } from '../support/slapd.js';

describe('directory TLS', () => {
  let ldap: Slapd;
  let t: TestServer;
  const log: string[] = [];
  let ldapsId = '';
  let starttlsId = '';

  const api = (method: string, path: string, body?: unknown) => adminApi(t, method, path, body);
  const testOf = async (id: string) => {
    const r = await api('POST', `/admin/api/directories/${id}/test`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body as { ok: boolean; reason?: string };
  };
  const patch = async (id: string, body: Record<string, unknown>) => {
    const r = await api('PATCH', `/admin/api/directories/${id}`, body);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  };
  const create = async (body: Record<string, unknown>) => {
    const r = await api('POST', '/admin/api/directories', {
      name: `TLS ${String(body.domain)}`,
      host: '127.0.0.1',
      bind_dn: ldap.serviceDn,
      bind_password: ldap.servicePassword,
      users: { base_dn: ldap.peopleDn },
      create_users_on_sign_in: true,
      connect_timeout_ms: 1000,
      read_timeout_ms: 2000,
      ...body,
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  };
  /** A refused sign-in: the form again with 401, as for a wrong password (never a 500). */
  const refused = async (username: string, password: string) => {
    const res = await signIn(new CookieJar(), t.baseUrl, username, password, '/admin/account');
    assert.equal(res.status, 401, `${username}: ${res.status}`);
    assert.match(await res.text(), /Wrong username or password/);
  };
  const lastError = async (id: string) => ((await api('GET', `/admin/api/directories/${id}`)).body.health as { last_error: string | null }).last_error;
  const untrusted = (port: number) => new RegExp(`^TLS: the certificate of 127\\.0\\.0\\.1:${port} is not trusted \\([A-Z_]+\\)$`);

  before(async () => {
    ldap = await startSlapd({ tls: true });
    // Each refusal below counts against the throttle, which is not what is tested here; the
    // request log (info) shows every answer's status.
    t = await startServer({ log, env: { LATCHKEY_LOGIN_THROTTLE_LIMIT: '100', LATCHKEY_LOG_LEVEL: 'info' } });
  });

  after(async () => {
    await t?.close();
    await ldap?.cleanup();
  });

  it('LDAPS with the CA bundle: the test answers ok and an LDAP user signs in', async () => {
    const created = await create({ domain: 'ldaps', security: 'ldaps', port: ldap.ldapsPort, ca_bundle: ldap.caPem });
    ldapsId = String(created.id);
    assert.equal(created.security, 'ldaps');
    assert.equal(created.ca_bundle, ldap.caPem);
    assert.equal(created.verify_hostname, true, 'hostname checks are on unless turned off');
    assert.deepEqual(await testOf(ldapsId), { ok: true });
    assert.equal(await signsIn(t, 'alice@ldaps', 'alice-pw-1'), true);
    const alice = await t.app.stores.users.findByUsername('alice');
    assert.equal(alice?.source?.domain, 'ldaps');
    await refused('alice@ldaps', 'not-her-password');
  });

  it('StartTLS with the CA bundle: the test answers ok and an LDAP user signs in', async () => {
    const created = await create({ domain: 'starttls', security: 'starttls', port: ldap.port, ca_bundle: ldap.caPem });
    starttlsId = String(created.id);
    assert.equal(created.security, 'starttls');
    assert.deepEqual(await testOf(starttlsId), { ok: true });
    assert.equal(await signsIn(t, 'bob@starttls', 'bob-pw-2'), true);
    assert.equal((await t.app.stores.users.findByUsername('bob'))?.source?.domain, 'starttls');
  });

  it('without the CA bundle or with another CA: not ok with the reason, sign-in refused, local sign-in unaffected', async () => {
    for (const [id, port, user, password] of [
      [ldapsId, ldap.ldapsPort, 'alice@ldaps', 'alice-pw-1'],
      [starttlsId, ldap.port, 'bob@starttls', 'bob-pw-2'],
    ] as const) {
      for (const caBundle of [null, ldap.otherCaPem]) {
        const label = `${user} with ${caBundle === null ? 'the system store' : 'another CA'}`;
        await patch(id, { ca_bundle: caBundle });
        const r = await testOf(id);
        assert.equal(r.ok, false, label);
        assert.match(r.reason ?? '', untrusted(port), label);
        await refused(user, password);
        assert.match((await lastError(id)) ?? '', untrusted(port), `${label}: the failure shows in the health`);
        assert.equal(await signsIn(t, 'admin', ADMIN_PASSWORD), true, `${label}: the local administrator still signs in`);
      }
      // A connection made while the CA was trusted is not reused once it is not: the pool was dropped.
      await patch(id, { ca_bundle: ldap.caPem });
      assert.deepEqual(await testOf(id), { ok: true });
      assert.equal(await signsIn(t, user, password), true, `${user} again once the CA is back`);
      await patch(id, { ca_bundle: ldap.otherCaPem });
      await refused(user, password);
      await patch(id, { ca_bundle: ldap.caPem });
    }
  });

  it('a certificate that does not name the host is refused unless verify_hostname is false', async () => {
    // 127.0.0.2 is the same slapd; its certificate names 127.0.0.1 and localhost only.
    await patch(ldapsId, { host: '127.0.0.2' });
    const r = await testOf(ldapsId);
    assert.equal(r.ok, false);
    assert.equal(r.reason, `TLS: the certificate of 127.0.0.2:${ldap.ldapsPort} does not name 127.0.0.2`);
    await refused('alice@ldaps', 'alice-pw-1');

    const off = await patch(ldapsId, { verify_hostname: false });
    assert.equal(off.verify_hostname, false);
    assert.deepEqual(await testOf(ldapsId), { ok: true });
    assert.equal(await signsIn(t, 'alice@ldaps', 'alice-pw-1'), true);
    // Without hostname checks the chain is still verified.
    await patch(ldapsId, { ca_bundle: ldap.otherCaPem });
    assert.match((await testOf(ldapsId)).reason ?? '', /^TLS: the certificate of 127\.0\.0\.2:\d+ is not trusted/);
    await refused('alice@ldaps', 'alice-pw-1');

    await patch(ldapsId, { host: '127.0.0.1', verify_hostname: true, ca_bundle: ldap.caPem });
    assert.deepEqual(await testOf(ldapsId), { ok: true });
    // By name too: the certificate names localhost (RFC 6125 DNS-ID; SNI is sent for names).
    await patch(starttlsId, { host: 'localhost' });
    assert.deepEqual(await testOf(starttlsId), { ok: true });
    assert.equal(await signsIn(t, 'carol@starttls', 'carol-pw-3'), true);
    await patch(starttlsId, { host: '127.0.0.1' });
  });

  it('a CA bundle that is not PEM certificates is a 400 field error, and the stored one stays', async () => {
    const lines = ldap.caPem.trim().split('\n');
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const truncated = [...lines.slice(0, 4), lines[lines.length - 1]].join('\n');
    const cases: Array<[string, string]> = [
      ['plain text', 'not a certificate'],
      ['empty', ''],
      ['a file path', '/etc/ssl/certs/ca.pem'],
      ['DER in base64 without the PEM lines', lines.slice(1, -1).join('')],
      ['not base64 inside', '-----BEGIN CERTIFICATE-----\n!!!! not base64 !!!!\n-----END CERTIFICATE-----\n'],
      ['truncated', truncated],
      ['a good one then a broken one', `${ldap.caPem}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`],
      // A private key is a secret: never stored or shown back as if it were a CA.
      ['a certificate and a private key', `${ldap.caPem}${key}`],
      ['a private key alone', key],
      ['a certificate with one character changed', ldap.caPem.replace(/\n(.)/, (_, c: string) => `\n${c === 'M' ? 'N' : 'M'}`)],
    ];
    for (const [label, caBundle] of cases) {
      for (const [method, path, body] of [
        ['POST', '/admin/api/directories', { name: 'Bad CA', domain: 'badca', host: '127.0.0.3', users: { base_dn: ldap.peopleDn }, ca_bundle: caBundle }],
        ['PATCH', `/admin/api/directories/${ldapsId}`, { ca_bundle: caBundle }],
      ] as const) {
        const r = await api(method, path, body);
        assert.equal(r.status, 400, `${method} ${label}: ${JSON.stringify(r.body)}`);
        const fields = (r.body.fields as Array<{ field: string; message: string }> | undefined) ?? [];
        assert.deepEqual(
          fields.map((f) => f.field),
          ['ca_bundle'],
          `${method} ${label}`,
        );
        assert.ok(fields[0]?.message, `${method} ${label}: a message says what is wrong`);
      }
    }
    const kept = await api('GET', `/admin/api/directories/${ldapsId}`);
    assert.equal(kept.body.ca_bundle, ldap.caPem);
    assert.equal(((await api('GET', '/admin/api/directories')).body.items as unknown[]).length, 2, 'no directory was added');
    assert.deepEqual(await testOf(ldapsId), { ok: true });
    assert.equal(await signsIn(t, 'alice@ldaps', 'alice-pw-1'), true);
  });

  it('a bundle of several certificates with text around them, as CA files have it, is accepted (RFC 7468 §2)', async () => {
    const bundle = `# Other CA\n${ldap.otherCaPem}\nSubject: CN=Latchkey Test ca\n${ldap.caPem}`;
    assert.equal((await patch(ldapsId, { ca_bundle: bundle })).ca_bundle, bundle);
    assert.deepEqual(await testOf(ldapsId), { ok: true });
    assert.equal(await signsIn(t, 'alice@ldaps', 'alice-pw-1'), true);
  });

  it('no request above was answered with a 5xx, and nothing was logged as an error', () => {
    const lines = log.map((l) => JSON.parse(l) as { level?: number; msg?: string; res?: { statusCode?: number }; req?: { url?: string } });
    const answers = lines.filter((l) => l.msg === 'request completed');
    assert.ok(answers.length > 50, `the request log was read (${answers.length} lines)`);
    assert.deepEqual(
      answers.filter((l) => (l.res?.statusCode ?? 0) >= 500).map((l) => l.req?.url),
      [],
    );
    assert.deepEqual(
      lines.filter((l) => (l.level ?? 0) >= 50),
      [],
    );
  });
});
