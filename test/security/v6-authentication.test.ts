// Runs again on PostgreSQL: @backends sqlite postgres
// ASVS 5.0 V6 Authentication: one password check for the form, the password grant, HTTP Basic and
// My account; guesses counted together whatever the channel and the source address; lock-outs that
// a browser which signed in before gets through (OWASP's device cookies), and unknown sources do not.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { systemRandom } from '../../src/adapters/system.js';
import { SecretBox } from '../../src/core/crypto/secret-box.js';
import { basic, CookieJar, makeClient, makeUser, postForm, type TestClient } from '../oauth2/helpers.js';
import { ManualClock, startServer, type TestServer } from '../support/server.js';

const LIMIT = 5;
const WINDOW_MS = 15 * 60_000;
const DEVICE = 'latchkey_device';

/** RFC 7617 credentials as a script sends them (no form encoding). */
const userBasic = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

/** The cookies of a jar, by name. */
const cookiesOf = (jar: CookieJar) =>
  Object.fromEntries(
    jar
      .header()
      .split('; ')
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );

/** A browser holding exactly these cookies. */
function jarWith(cookies: Record<string, string>): CookieJar {
  const jar = new CookieJar();
  const headers = new Headers();
  for (const [name, value] of Object.entries(cookies)) headers.append('set-cookie', `${name}=${value}`);
  jar.keep(new Response(null, { headers }));
  return jar;
}

describe('V6 one password check for every channel', () => {
  let t: TestServer;
  let clock: ManualClock;
  let app: TestClient;
  let address = 0;
  /** A source address no earlier attempt used, so only the per-username counter can refuse. */
  const fresh = () => `198.51.100.${(address++ % 250) + 1}`;

  before(async () => {
    clock = new ManualClock(Date.now());
    t = await startServer({ clock, env: { LATCHKEY_TRUST_PROXY: 'true', LATCHKEY_LOGIN_THROTTLE_LIMIT: String(LIMIT) } });
    app = await makeClient(t, { name: 'Legacy app', grant_types: ['password'], redirect_uris: ['https://app.example/cb'] });
  });
  after(() => t?.close());

  /** Every channel, each from the address given; the answer reduced to ok / wrong / locked. */
  const channels = {
    async form(username: string, password: string, ip: string, jar = new CookieJar()) {
      const page = await (await jar.fetch(`${t.baseUrl}/login`, { headers: { 'x-forwarded-for': ip } })).text();
      const csrf = page.match(/name="csrf_token" value="([^"]+)"/)?.[1] ?? '';
      const res = await jar.fetch(`${t.baseUrl}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip },
        body: new URLSearchParams({ csrf_token: csrf, return_to: '/', username, password }),
      });
      await res.arrayBuffer();
      return res.status === 303 ? 'ok' : res.status === 401 ? 'wrong' : res.status === 429 ? 'locked' : `status ${res.status}`;
    },
    async basic(username: string, password: string, ip: string) {
      const res = await fetch(`${t.baseUrl}/api/me`, { headers: { authorization: userBasic(username, password), 'x-forwarded-for': ip } });
      await res.arrayBuffer();
      return res.status === 200 ? 'ok' : res.status === 401 ? 'wrong' : res.status === 429 ? 'locked' : `status ${res.status}`;
    },
    async adminBasic(username: string, password: string, ip: string) {
      const res = await fetch(`${t.baseUrl}/admin/api/users`, { headers: { authorization: userBasic(username, password), 'x-forwarded-for': ip } });
      await res.arrayBuffer();
      return res.status === 200 ? 'ok' : res.status === 401 ? 'wrong' : res.status === 429 ? 'locked' : `status ${res.status}`;
    },
    async grant(username: string, password: string, ip: string) {
      const r = await postForm(
        `${t.baseUrl}/api/oauth2/token`,
        { grant_type: 'password', username, password },
        { authorization: basic(app.key, app.secret ?? ''), 'x-forwarded-for': ip },
      );
      if (r.status === 200) return 'ok';
      const description = String(r.json.error_description ?? '');
      return r.json.error === 'invalid_grant' ? (/too many/.test(description) ? 'locked' : 'wrong') : `status ${r.status}`;
    },
  } as const;
  type Channel = keyof typeof channels;
  const names = Object.keys(channels) as Channel[];

  const guessFromEverywhere = async (username: string, via: Channel[]) => {
    const answers: string[] = [];
    for (let i = 0; i < LIMIT; i++) answers.push(await channels[via[i % via.length] as Channel](username, `wrong-guess-${i}`, fresh()));
    return answers;
  };
  const nextWindow = () => clock.advance(WINDOW_MS + 1000);

  test('V6.3.1 after the form has locked a user, Basic on /api/me and /admin/api from other addresses refuses even the right password', async () => {
    const bob = { username: 'bob', password: 'bob-has-a-long-password-1' };
    await makeUser(t, bob.username, bob.password, ['user_manager']);
    assert.deepEqual(await guessFromEverywhere(bob.username, ['form']), Array(LIMIT).fill('wrong'));
    for (const via of ['basic', 'adminBasic', 'grant', 'form'] as const) {
      assert.equal(await channels[via](bob.username, bob.password, fresh()), 'locked', `${via} from a new address, right password`);
    }
    const res = await fetch(`${t.baseUrl}/api/me`, { headers: { authorization: userBasic(bob.username, bob.password), 'x-forwarded-for': fresh() } });
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), String(WINDOW_MS / 1000));
    assert.equal(((await res.json()) as { error: string }).error, 'too_many_attempts');
    nextWindow();
    assert.equal(await channels.basic(bob.username, bob.password, fresh()), 'ok', 'the lock ends with its window');
  });

  test('V6.3.1 guesses through any mix of channels count together: the limit is reached whichever channel makes each guess', async () => {
    for (const [i, first] of names.entries()) {
      const user = { username: `mix-${i}`, password: `mix-${i}-long-password` };
      await makeUser(t, user.username, user.password);
      // Rotate the channels so each one makes the guess that reaches the limit once.
      const order = [...names.slice(i), ...names.slice(0, i)];
      assert.deepEqual(await guessFromEverywhere(user.username, order), Array(LIMIT).fill('wrong'), `guesses starting with ${first}`);
      for (const via of names)
        assert.equal(await channels[via](user.username, user.password, fresh()), 'locked', `${via} after guesses starting with ${first}`);
    }
    nextWindow();
  });

  test('V6.3.1 parallel guesses cannot all pass one reading of the counter: at most the limit is checked, and parallel right passwords all pass', async () => {
    const user = { username: 'parallel', password: 'parallel-long-password-1' };
    await makeUser(t, user.username, user.password);
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => channels.basic(user.username, `parallel-guess-${i}`, fresh())));
    assert.equal(answers.filter((a) => a === 'wrong').length, LIMIT, answers.join(' '));
    assert.equal(answers.filter((a) => a === 'locked').length, 40 - LIMIT);
    assert.equal(await channels.grant(user.username, user.password, fresh()), 'locked');
    const audited = await t.app.stores.audit.list({ limit: 200, offset: 0 });
    const failed = audited.items.filter((e) => e.action === 'signin.failed' && e.target === user.username);
    assert.equal(failed.length, LIMIT, 'each checked guess is audited once; refused attempts are only counted');
    assert.deepEqual([...new Set(failed.map((e) => (e.details as { channel?: string }).channel))], ['basic']);
    nextWindow();
    // Forty right passwords at once, from one address: every one succeeds, none is taken for a guess.
    const ip = fresh();
    const rights = await Promise.all(Array.from({ length: 40 }, () => channels.grant(user.username, user.password, ip)));
    assert.deepEqual(rights, Array(40).fill('ok'));
    assert.equal(await channels.grant(user.username, user.password, fresh()), 'ok', 'and they left no count behind');
  });

  test('V6.3.1 one source address is refused after four times the limit, across usernames, and a success takes nothing back', async () => {
    const ip = fresh();
    const answers: string[] = [];
    for (let i = 0; i < LIMIT * 4; i++) answers.push(await channels.basic(`sprayed-${i}`, 'Winter2026!', ip));
    assert.deepEqual(answers, Array(LIMIT * 4).fill('wrong'));
    await makeUser(t, 'spray-target', 'spray-target-password');
    assert.equal(await channels.form('spray-target', 'spray-target-password', ip), 'locked', 'the address is locked for every name');
    assert.equal(await channels.form('spray-target', 'spray-target-password', fresh()), 'ok', 'other addresses are not');
    nextWindow();
    // Failures stay counted after a success: a script that signs in now and then does not reopen guessing.
    await makeUser(t, 'scripted', 'scripted-long-password');
    for (let i = 0; i < LIMIT - 1; i++) assert.equal(await channels.basic('scripted', `nope-${i}`, fresh()), 'wrong');
    assert.equal(await channels.basic('scripted', 'scripted-long-password', fresh()), 'ok');
    assert.equal(await channels.basic('scripted', 'nope-last', fresh()), 'wrong');
    assert.equal(await channels.basic('scripted', 'scripted-long-password', fresh()), 'locked');
    nextWindow();
  });

  test('V6.3.1 unknown usernames are locked like known ones: the answers do not tell which names exist', async () => {
    await makeUser(t, 'known-name', 'known-name-password');
    const known = await guessFromEverywhere('known-name', names);
    const unknown = await guessFromEverywhere('no-such-name', names);
    assert.deepEqual(unknown, known);
    for (const via of names) assert.equal(await channels[via]('no-such-name', 'anything-at-all', fresh()), 'locked', via);
    nextWindow();
  });

  test('V6.3.1 a browser that signed in before gets through a lock-out caused elsewhere; a browser without its device cookie does not', async () => {
    // "admin" is the name every attacker tries first: five guesses must not keep its owner out.
    const desk = new CookieJar();
    assert.equal(await channels.form('admin', 'correct horse battery staple', fresh(), desk), 'ok');
    assert.match(desk.header(), new RegExp(`${DEVICE}=v1\\.`), 'a successful sign-in leaves a device cookie');
    // Signed out since: only the device cookie is left.
    const signedOut = jarWith({ [DEVICE]: cookiesOf(desk)[DEVICE] ?? '' });

    assert.deepEqual(await guessFromEverywhere('admin', names), Array(LIMIT).fill('wrong'));
    assert.equal(await channels.form('admin', 'correct horse battery staple', fresh()), 'locked', 'a new browser is locked out');
    assert.equal(await channels.adminBasic('admin', 'correct horse battery staple', fresh()), 'locked', 'Basic has no device cookie');
    assert.equal(await channels.form('admin', 'correct horse battery staple', fresh(), signedOut), 'ok', 'the known browser gets in');
    nextWindow();
  });

  test('V6.3.1 guesses from a trusted browser lock that device cookie alone, and its right password then waits like everyone', async () => {
    const user = { username: 'carla', password: 'carla-long-password-1' };
    await makeUser(t, user.username, user.password);
    const laptop = new CookieJar();
    assert.equal(await channels.form(user.username, user.password, fresh(), laptop), 'ok');
    const stolen = () => jarWith({ [DEVICE]: cookiesOf(laptop)[DEVICE] ?? '' });
    for (let i = 0; i < LIMIT; i++) assert.equal(await channels.form(user.username, `device-guess-${i}`, fresh(), stolen()), 'wrong');
    assert.equal(await channels.form(user.username, user.password, fresh(), stolen()), 'locked', 'the device cookie is locked');
    assert.equal(await channels.basic(user.username, user.password, fresh()), 'ok', 'untrusted sources were not locked by it');
    nextWindow();
  });

  test('V6.3.1 a device cookie only vouches for the user it was issued to and only as the server signed it', async () => {
    const dana = { username: 'dana', password: 'dana-long-password-1' };
    const erin = { username: 'erin', password: 'erin-long-password-1' };
    await makeUser(t, dana.username, dana.password);
    await makeUser(t, erin.username, erin.password);
    const danaJar = new CookieJar();
    assert.equal(await channels.form(dana.username, dana.password, fresh(), danaJar), 'ok');
    const issued = cookiesOf(danaJar)[DEVICE] ?? '';
    const [version, nonce, mac] = issued.split('.');
    const otherKey = new SecretBox(randomBytes(32), systemRandom).mac(`erin\u0000${nonce}`, 'device-cookie');
    const variants: Record<string, string> = {
      "dana's cookie used for erin": issued,
      'a changed nonce': `${version}.${nonce}x.${mac}`,
      'a changed MAC': `${version}.${nonce}.${mac?.slice(0, -2)}AA`,
      'signed with another key': `${version}.${nonce}.${otherKey}`,
      'another version': `v2.${nonce}.${mac}`,
      'extra parts': `${issued}.more`,
      'very long': `v1.${'a'.repeat(5000)}.${mac}`,
    };
    assert.deepEqual(await guessFromEverywhere(erin.username, ['form']), Array(LIMIT).fill('wrong'));
    for (const [name, value] of Object.entries(variants)) {
      assert.equal(await channels.form(erin.username, erin.password, fresh(), jarWith({ [DEVICE]: value })), 'locked', name);
    }
    nextWindow();
  });

  test('V6.3.1 the device cookie is HttpOnly, SameSite=Lax, for the whole site and renewed at each sign-in', async () => {
    const jar = new CookieJar();
    const page = await (await jar.fetch(`${t.baseUrl}/login`)).text();
    const csrf = page.match(/name="csrf_token" value="([^"]+)"/)?.[1] ?? '';
    await makeUser(t, 'frank', 'frank-long-password-1');
    const post = () =>
      jar.fetch(`${t.baseUrl}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': fresh() },
        body: new URLSearchParams({ csrf_token: csrf, return_to: '/', username: 'frank', password: 'frank-long-password-1' }),
      });
    const first = (await post()).headers.getSetCookie().find((c) => c.startsWith(`${DEVICE}=`)) ?? '';
    assert.match(first, /; HttpOnly/i);
    assert.match(first, /; SameSite=Lax/i);
    assert.match(first, /; Path=\//i);
    assert.match(first, /; Max-Age=15552000/i);
    assert.doesNotMatch(first, /; Secure/i, 'plain http issuer in this suite');
    const second = (await post()).headers.getSetCookie().find((c) => c.startsWith(`${DEVICE}=`)) ?? '';
    assert.notEqual(second.split(';')[0], first.split(';')[0], 'a fresh cookie at every sign-in');
  });

  test('V6.3.1 the current password on My account goes through the same check and counts with the other channels', async () => {
    const user = { username: 'gina', password: 'gina-long-password-1' };
    await makeUser(t, user.username, user.password);
    // A session without a device cookie (signed in, then the device cookie dropped).
    const stolenSession = new CookieJar();
    assert.equal(await channels.form(user.username, user.password, fresh(), stolenSession), 'ok');
    const { [DEVICE]: _dropped, ...rest } = cookiesOf(stolenSession);
    const sessionOnly = jarWith(rest);
    const change = async (jar: CookieJar, current: string) => {
      const page = await (await jar.fetch(`${t.baseUrl}/admin/account`)).text();
      const csrf = page.match(/name="csrf_token" value="([^"]+)"/)?.[1] ?? '';
      const res = await jar.fetch(`${t.baseUrl}/account/password`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': fresh() },
        body: new URLSearchParams({
          csrf_token: csrf,
          current_password: current,
          new_password: 'gina-new-password-2',
          confirm_password: 'gina-new-password-2',
        }),
      });
      await res.arrayBuffer();
      return res.status;
    };
    assert.match(sessionOnly.header(), /latchkey_session/);
    assert.doesNotMatch(sessionOnly.header(), /latchkey_device/);
    for (let i = 0; i < LIMIT; i++) assert.equal(await change(sessionOnly, `not-it-${i}`), 400);
    assert.equal(await change(sessionOnly, user.password), 429, 'locked, though the session is valid');
    assert.equal(await channels.grant(user.username, user.password, fresh()), 'locked', 'the guesses on My account count for the other channels');
    const audited = await t.app.stores.audit.list({ limit: 200, offset: 0 });
    assert.equal(
      audited.items.filter((e) => e.action === 'signin.failed' && e.target === user.username && (e.details as { channel?: string }).channel === 'account')
        .length,
      LIMIT,
    );
    nextWindow();
  });
});
