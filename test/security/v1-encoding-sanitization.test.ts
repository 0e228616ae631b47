// Runs again on PostgreSQL: @backends sqlite postgres
// ASVS 5.0 V1.3.6 SSRF: every request the server sends on its own goes through one outbound
// client that refuses internal addresses (checked on the address it connects to), follows no
// redirect and is bounded in time and size; registration refuses such targets up front.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { blockedRange, OutboundPolicy } from '../../src/outbound/address-policy.js';
import { createOutboundHttp, OutboundError, type Resolver } from '../../src/outbound/http-client.js';
import { basic } from '../oauth2/helpers.js';
import { CookieJar, makeOidcClient, makeUser, postForm, REDIRECT, redirected, startLogoutReceiver, walk } from '../oidc/helpers.js';
import { call } from '../registration/helpers.js';
import { startServer, type TestServer } from '../support/server.js';

/** A receiver on a loopback address that records every request it gets. */
interface Receiver {
  server: Server;
  port: number;
  url: string;
  hits: string[];
  close(): Promise<void>;
}

async function receiver(
  handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(200).end('ok'),
  host = '127.0.0.1',
  port = 0,
): Promise<Receiver> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    req.resume();
    handler(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    server,
    port: bound,
    url: `http://${host}:${bound}/`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Address → the range that refuses it, or null for the public Internet. Edges of each range included. */
const ADDRESSES: Array<[string, RegExp | null]> = [
  ['8.8.8.8', null],
  ['1.1.1.1', null],
  ['9.255.255.255', null],
  ['10.0.0.0', /private/],
  ['10.255.255.255', /private/],
  ['11.0.0.0', null],
  ['100.63.255.255', null],
  ['100.64.0.0', /CGNAT/],
  ['100.127.255.255', /CGNAT/],
  ['100.128.0.0', null],
  ['126.255.255.255', null],
  ['127.0.0.0', /loopback/],
  ['127.0.0.1', /loopback/],
  ['127.255.255.255', /loopback/],
  ['128.0.0.0', null],
  ['169.253.255.255', null],
  ['169.254.0.0', /link-local/],
  ['169.254.169.254', /link-local/],
  ['169.254.255.255', /link-local/],
  ['169.255.0.0', null],
  ['172.15.255.255', null],
  ['172.16.0.0', /private/],
  ['172.31.255.255', /private/],
  ['172.32.0.0', null],
  ['192.0.0.8', /reserved/],
  ['192.0.2.1', /documentation/],
  ['192.88.99.1', /reserved/],
  ['192.167.255.255', null],
  ['192.168.0.0', /private/],
  ['192.168.255.255', /private/],
  ['192.169.0.0', null],
  ['198.17.255.255', null],
  ['198.18.0.0', /benchmarking/],
  ['198.19.255.255', /benchmarking/],
  ['198.20.0.0', null],
  ['198.51.100.7', /documentation/],
  ['203.0.113.9', /documentation/],
  ['0.0.0.0', /unspecified/],
  ['0.255.255.255', /unspecified/],
  ['223.255.255.255', null],
  ['224.0.0.0', /multicast/],
  ['239.255.255.255', /multicast/],
  ['240.0.0.1', /reserved/],
  ['255.255.255.254', /reserved/],
  ['255.255.255.255', /broadcast/],
  ['::', /unspecified/],
  ['::1', /loopback/],
  ['::2', /IPv4-compatible/],
  ['::127.0.0.1', /IPv4-compatible/],
  ['::ffff:127.0.0.1', /loopback/],
  ['::ffff:7f00:1', /loopback/],
  ['::ffff:10.1.2.3', /private/],
  ['::ffff:169.254.169.254', /link-local/],
  ['::ffff:8.8.8.8', null],
  ['64:ff9b::127.0.0.1', /loopback/],
  ['64:ff9b::a00:1', /private/],
  ['64:ff9b::808:808', null],
  ['64:ff9b:1::1', /NAT64/],
  ['2002:7f00:1::1', /loopback/],
  ['2002:c0a8:101::1', /private/],
  ['2002:808:808::1', null],
  ['100::1', /discard/],
  ['2001::1', /Teredo/],
  ['2001:db8::1', /documentation/],
  ['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', /documentation/],
  ['2001:db9::1', null],
  ['3fff::1', /documentation/],
  ['2606:4700:4700::1111', null],
  ['2a00:1450:4001:80b::200e', null],
  ['fbff:ffff::1', /outside global unicast/],
  ['fc00::', /unique local/],
  ['fd12:3456:789a::1', /unique local/],
  ['fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', /unique local/],
  ['fe80::1', /link-local/],
  ['fe80::1%eth0', /link-local/],
  ['febf:ffff::1', /link-local/],
  ['fec0::1', /site-local/],
  ['ff02::1', /multicast/],
  ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', /multicast/],
  ['not-an-address', /not an IP address/],
];

describe('V1.3.6 the address classifier', () => {
  test('V1.3.6 every loopback, private, CGNAT, link-local, unique-local, multicast, broadcast, unspecified, documentation and reserved address is refused, IPv4 and IPv6, mapped and NAT64 forms included; public ones pass', () => {
    for (const [address, expected] of ADDRESSES) {
      const found = blockedRange(address);
      if (expected === null) assert.equal(found, null, `${address} is public`);
      else assert.match(found ?? 'public', expected, `${address}`);
    }
  });

  test('V1.3.6 the allow-list admits exactly the CIDRs, addresses and host names it names', () => {
    const policy = new OutboundPolicy({ allow: ['10.1.0.0/16', '::1', 'hooks.internal.example'], schemes: ['https'] });
    assert.equal(policy.addressRefusal('10.1.255.255'), null);
    assert.match(policy.addressRefusal('10.2.0.0') ?? '', /private/);
    assert.equal(policy.addressRefusal('::1'), null);
    assert.match(policy.addressRefusal('127.0.0.1') ?? '', /loopback/);
    assert.equal(policy.addressRefusal('::ffff:10.1.2.3'), null, 'the mapped form of an allowed address');
    assert.equal(policy.targetRefusal('https://hooks.internal.example/x'), null);
    assert.equal(policy.targetRefusal('https://HOOKS.internal.example./x'), null);
    assert.match(policy.targetRefusal('http://hooks.internal.example/x') ?? '', /https only/);
    assert.match(policy.targetRefusal('https://user:pw@rp.example/x') ?? '', /user name/);
    assert.match(policy.targetRefusal('ftp://rp.example/x') ?? '', /uses ftp/);
    assert.equal(policy.targetRefusal('https://localhost/x'), null, 'localhost names follow the loopback addresses allowed (::1 here)');
    const none = new OutboundPolicy({ allow: [], schemes: ['https'] });
    assert.match(none.targetRefusal('https://localhost/x') ?? '', /loopback name/);
    assert.match(none.targetRefusal('https://a.b.localhost/x') ?? '', /loopback name/);
    assert.equal(policy.targetRefusal('https://rp.example/x'), null, 'names are judged when resolved');
    assert.throws(() => new OutboundPolicy({ allow: ['10.0.0.0/33'], schemes: ['https'] }), /is not an address, a CIDR or a host name/);
    assert.throws(() => new OutboundPolicy({ allow: ['not a host'], schemes: ['https'] }), /is not an address, a CIDR or a host name/);
  });
});

describe('V1.3.6 the outbound client', () => {
  const receivers: Receiver[] = [];
  after(async () => {
    for (const r of receivers) await r.close();
  });
  const start = async (...args: Parameters<typeof receiver>) => {
    const r = await receiver(...args);
    receivers.push(r);
    return r;
  };
  const refused = (reason: OutboundError['reason'], pattern: RegExp) => (err: unknown) =>
    err instanceof OutboundError && err.reason === reason && pattern.test(err.message);

  test('V1.3.6 a literal internal address is refused before any connection; allow-listed, it is reached', async () => {
    const r = await start();
    const closed = createOutboundHttp({ policy: new OutboundPolicy({ allow: [], schemes: ['http'] }) });
    for (const url of [
      r.url,
      `http://[::ffff:127.0.0.1]:${r.port}/`,
      `http://0x7f000001:${r.port}/`,
      `http://2130706433:${r.port}/`,
      `http://127.1:${r.port}/`,
    ]) {
      await assert.rejects(closed.send({ method: 'POST', url, body: 'x' }), refused('refused', /loopback/), url);
    }
    await assert.rejects(closed.send({ method: 'GET', url: `http://localhost:${r.port}/` }), refused('refused', /loopback/));
    assert.deepEqual(r.hits, [], 'nothing reached the receiver');
    const open = createOutboundHttp({ policy: new OutboundPolicy({ allow: ['127.0.0.1'], schemes: ['http'] }) });
    const res = await open.send({ method: 'POST', url: r.url, body: 'x' });
    assert.equal(res.status, 200);
    assert.equal(Buffer.from(res.body).toString(), 'ok');
    assert.deepEqual(r.hits, ['POST /']);
  });

  test('V1.3.6 DNS rebinding: the address the connection uses is the one that was checked, resolved once', async () => {
    // Two receivers on one port: 127.0.0.2 stands for the public address the name first resolves
    // to (allow-listed), 127.0.0.1 for the internal one a rebinding resolver answers next.
    const internal = await start(undefined, '127.0.0.1');
    const outside = await start(undefined, '127.0.0.2', internal.port);
    const answers = ['127.0.0.2', '127.0.0.1'];
    const asked: string[] = [];
    const rebinding: Resolver = async (hostname) => {
      asked.push(hostname);
      const address = answers[Math.min(asked.length - 1, answers.length - 1)] ?? '127.0.0.1';
      return [{ address, family: 4 }];
    };
    const client = createOutboundHttp({ policy: new OutboundPolicy({ allow: ['127.0.0.2'], schemes: ['http'] }), resolve: rebinding });
    const res = await client.send({ method: 'POST', url: `http://rebind.example.test:${internal.port}/hook`, body: 'x' });
    assert.equal(res.status, 200);
    assert.deepEqual(asked, ['rebind.example.test'], 'the name was resolved once, for the connection itself');
    assert.deepEqual(outside.hits, ['POST /hook']);
    assert.deepEqual(internal.hits, [], 'the internal address was never contacted');
    // Resolved again now, the name points inside: refused without connecting.
    await assert.rejects(client.send({ method: 'POST', url: `http://rebind.example.test:${internal.port}/hook`, body: 'x' }), refused('refused', /loopback/));
    assert.deepEqual(internal.hits, []);
    // One internal address among several answers is enough to refuse.
    const mixed = createOutboundHttp({
      policy: new OutboundPolicy({ allow: ['127.0.0.2'], schemes: ['http'] }),
      resolve: async () => [
        { address: '127.0.0.2', family: 4 },
        { address: '::1', family: 6 },
      ],
    });
    await assert.rejects(mixed.send({ method: 'GET', url: `http://mixed.example.test:${internal.port}/` }), refused('refused', /::1 is a loopback/));
    assert.deepEqual(outside.hits, ['POST /hook']);
  });

  test('V1.3.6 a redirect is returned, never followed, even to another allowed receiver', async () => {
    const second = await start();
    const first = await start((_req, res) => res.writeHead(302, { location: `${second.url}landed` }).end());
    const client = createOutboundHttp({ policy: new OutboundPolicy({ allow: ['127.0.0.1'], schemes: ['http'] }) });
    for (const method of ['GET', 'POST'] as const) {
      const res = await client.send({ method, url: first.url, ...(method === 'POST' ? { body: 'x' } : {}) });
      assert.equal(res.status, 302);
    }
    assert.equal(first.hits.length, 2);
    assert.deepEqual(second.hits, [], 'the redirect target was never requested');
  });

  test('V1.3.6 responses are bounded in size (declared or streamed) and requests in time (resolution, answer, slow body)', async () => {
    const policy = new OutboundPolicy({ allow: ['127.0.0.1'], schemes: ['http'] });
    const big = await start((_req, res) => res.writeHead(200, { 'content-length': String(2 * 1024 * 1024) }).end(Buffer.alloc(2 * 1024 * 1024)));
    const chunked = await start((_req, res) => {
      res.writeHead(200);
      for (let i = 0; i < 64; i++) res.write(Buffer.alloc(16 * 1024));
      res.end();
    });
    const small = createOutboundHttp({ policy, maxResponseBytes: 64 * 1024 });
    await assert.rejects(small.send({ method: 'GET', url: big.url }), refused('too_large', /more than 65536 bytes/));
    await assert.rejects(small.send({ method: 'GET', url: chunked.url }), refused('too_large', /more than 65536 bytes/));

    const silent = await start(() => {});
    const dripping = await start((_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write('.'), 50);
      res.on('close', () => clearInterval(timer));
    });
    const quick = createOutboundHttp({ policy, timeoutMs: 400 });
    for (const r of [silent, dripping]) {
      const started = performance.now();
      await assert.rejects(quick.send({ method: 'GET', url: r.url }), refused('timeout', /did not answer within 400 ms/));
      assert.ok(performance.now() - started < 1500, 'gave up on time');
    }
    // A request may ask for less than the client's limit, never more.
    const started = performance.now();
    await assert.rejects(quick.send({ method: 'GET', url: silent.url, timeoutMs: 100 }), refused('timeout', /within 100 ms/));
    assert.ok(performance.now() - started < 1000);
    await assert.rejects(quick.send({ method: 'GET', url: silent.url, timeoutMs: 60_000 }), refused('timeout', /within 400 ms/));
    // A resolver that never answers is the connect phase: bounded by the connect timeout.
    const hanging = createOutboundHttp({ policy, connectTimeoutMs: 200, resolve: () => new Promise(() => {}) });
    await assert.rejects(hanging.send({ method: 'GET', url: 'http://never.example.test/' }), refused('timeout', /no connection within 200 ms/));
  });

  test('V1.3.6 http is refused unless the operator allows it, and error texts name the origin, never the path or query', async () => {
    const r = await start();
    const httpsOnly = createOutboundHttp({ policy: new OutboundPolicy({ allow: ['127.0.0.1'], schemes: ['https'] }) });
    await assert.rejects(httpsOnly.send({ method: 'GET', url: `${r.url}secret-path?token=abc` }), (err: unknown) => {
      assert.ok(err instanceof OutboundError);
      assert.match(err.message, /https only/);
      assert.doesNotMatch(err.message, /secret-path|token=abc/);
      return true;
    });
    assert.deepEqual(r.hits, []);
  });
});

const OIDC_BODY = { client_name: 'SSRF probe', redirect_uris: ['https://rp.example.test/cb'] };

/** backchannel_logout_uri and jwks_uri values that point inside the server's network. */
const INTERNAL_TARGETS = [
  'https://127.0.0.1/bc',
  'https://127.1.2.3:8443/bc',
  'http://127.0.0.1:9/bc',
  'http://localhost:9/bc',
  'https://localhost/bc',
  'https://api.localhost/bc',
  'https://LOCALHOST./bc',
  'https://10.0.0.1/bc',
  'https://172.16.5.4/bc',
  'https://192.168.1.1/bc',
  'https://100.64.0.1/bc',
  'https://169.254.169.254/latest/meta-data/',
  'https://0.0.0.0/bc',
  'https://0x7f000001/bc',
  'https://2130706433/bc',
  'https://017700000001/bc',
  'https://224.0.0.1/bc',
  'https://255.255.255.255/bc',
  'https://192.0.2.10/bc',
  'https://[::1]/bc',
  'https://[::]/bc',
  'https://[::ffff:127.0.0.1]/bc',
  'https://[::ffff:a9fe:a9fe]/bc',
  'https://[64:ff9b::7f00:1]/bc',
  'https://[fd00::1]/bc',
  'https://[fe80::1]/bc',
  'https://[ff02::1]/bc',
  'https://[2001:db8::1]/bc',
];

describe('V1.3.6 registration refuses internal targets for what the server fetches', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer({ env: { LATCHKEY_REGISTRATION_RATE_LIMIT: '100000', LATCHKEY_REGISTRATION_MAX_PENDING: '1000' } });
  });
  after(() => t.close());

  test('V1.3.6 a backchannel_logout_uri or jwks_uri on a loopback, private, link-local, multicast or reserved host is invalid_client_metadata', async () => {
    for (const target of INTERNAL_TARGETS) {
      for (const field of ['backchannel_logout_uri', 'jwks_uri']) {
        const res = await call('POST', `${t.baseUrl}/api/oidc/register`, { body: { ...OIDC_BODY, [field]: target } });
        assert.equal(res.status, 400, `${field}=${target}: ${res.status} ${JSON.stringify(res.json)}`);
        assert.equal(res.json.error, 'invalid_client_metadata', `${field}=${target}`);
        assert.match(String(res.json.error_description), new RegExp(`^${field}: `), `${field}=${target}`);
      }
    }
  });

  test('V1.3.6 an update cannot move a registered backchannel_logout_uri inside the network either', async () => {
    const created = await call('POST', `${t.baseUrl}/api/oidc/register`, { body: { ...OIDC_BODY, backchannel_logout_uri: 'https://rp.example.test/bc' } });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const moved = await call('PUT', String(created.json.registration_client_uri), {
      token: String(created.json.registration_access_token),
      body: { ...OIDC_BODY, client_id: created.json.client_id, backchannel_logout_uri: 'https://169.254.169.254/latest/' },
    });
    assert.equal(moved.status, 400);
    assert.equal(moved.json.error, 'invalid_client_metadata');
    const stored = await t.app.stores.clients.get(String(created.json.client_id));
    assert.equal(stored?.metadata.backchannel_logout_uri, 'https://rp.example.test/bc');
  });

  test('V1.3.6 loopback redirect_uris stay allowed (RFC 8252 §7.3 native apps), and public hosts are accepted', async () => {
    const res = await call('POST', `${t.baseUrl}/api/oidc/register`, {
      body: { ...OIDC_BODY, redirect_uris: ['http://127.0.0.1:8080/cb', 'http://[::1]:8080/cb'], backchannel_logout_uri: 'https://rp.example.test/bc' },
    });
    assert.equal(res.status, 201, JSON.stringify(res.json));
  });
});

describe('V1.3.6 an operator may allow internal receivers by name', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer({ env: { LATCHKEY_OUTBOUND_ALLOW: '127.0.0.1,10.1.0.0/16', LATCHKEY_OUTBOUND_SCHEMES: 'https,http' } });
  });
  after(() => t.close());

  test('V1.3.6 an allow-listed address or range is accepted at registration; its neighbours are not', async () => {
    for (const [target, status] of [
      ['http://127.0.0.1:9/bc', 201],
      ['https://10.1.200.3/bc', 201],
      ['https://127.0.0.2/bc', 400],
      ['https://10.2.0.1/bc', 400],
    ] as const) {
      const res = await call('POST', `${t.baseUrl}/api/oidc/register`, { body: { ...OIDC_BODY, backchannel_logout_uri: target } });
      assert.equal(res.status, status, `${target}: ${JSON.stringify(res.json)}`);
    }
  });
});

describe('V1.3.6 server-side requests at send time', () => {
  test('V1.3.6 an administrator-created client with a loopback backchannel_logout_uri gets no request unless the operator allows it', async () => {
    for (const allowed of [false, true]) {
      const bc = await startLogoutReceiver();
      // http is allowed in both runs, so that only the address decides.
      const t = await startServer({ env: { LATCHKEY_OUTBOUND_SCHEMES: 'https,http', ...(allowed ? { LATCHKEY_OUTBOUND_ALLOW: '127.0.0.1' } : {}) } });
      try {
        const user = { username: 'ssrf-user', password: 'ssrf-user-password-1' };
        await makeUser(t, user.username, user.password);
        const rp = await makeOidcClient(t, { name: 'Internal RP', metadata: { backchannel_logout_uri: bc.uri } });
        const jar = new CookieJar();
        const authorize = `${t.baseUrl}/oidc/authorize?${new URLSearchParams({ response_type: 'code', client_id: rp.key, redirect_uri: REDIRECT, scope: 'openid', nonce: 'n-1' })}`;
        const code = redirected(await walk(jar, t, authorize, user)).searchParams.get('code') ?? '';
        const tokens = await postForm(
          `${t.baseUrl}/api/oidc/token`,
          { grant_type: 'authorization_code', code, redirect_uri: REDIRECT },
          { authorization: basic(rp.key, rp.secret ?? '') },
        );
        assert.equal(tokens.status, 200, JSON.stringify(tokens.json));
        const page = await (await jar.fetch(`${t.baseUrl}/logout`)).text();
        const csrf = page.match(/name="csrf_token" value="([^"]+)"/)?.[1] ?? '';
        await jar.fetch(`${t.baseUrl}/logout`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ csrf_token: csrf }),
        });
        await t.app.oidc.backChannel.settle();
        const delivery = t.app.oidc.deliveries.find((d) => d.clientKey === rp.key);
        assert.ok(delivery, 'a delivery was attempted and recorded');
        if (allowed) {
          assert.equal(bc.received.length, 1, 'the allow-listed receiver got the logout token');
          assert.equal(delivery.status, 200);
        } else {
          assert.equal(bc.received.length, 0, 'the loopback receiver was never contacted');
          assert.equal(delivery.status, null);
          assert.match(delivery.error ?? '', /loopback/);
        }
      } finally {
        await t.close();
        await bc.close();
      }
    }
  });

  test('V1.3.6 the registration webhook to an internal address is refused unless allow-listed', async () => {
    for (const allowed of [false, true]) {
      const hook = await receiver((_req, res) => res.writeHead(204).end());
      const t = await startServer({
        env: {
          LATCHKEY_REGISTRATION_WEBHOOK_URL: `${hook.url}hooks`,
          LATCHKEY_OUTBOUND_SCHEMES: 'http',
          ...(allowed ? { LATCHKEY_OUTBOUND_ALLOW: '127.0.0.0/8' } : {}),
        },
      });
      try {
        const res = await call('POST', `${t.baseUrl}/api/oauth2/register`, { body: { client_name: 'Hooked', redirect_uris: ['https://rp.example.test/cb'] } });
        assert.equal(res.status, 201);
        await new Promise((r) => setTimeout(r, 400));
        await t.app.registration.webhook?.drain();
        assert.deepEqual(hook.hits, allowed ? ['POST /hooks'] : [], allowed ? 'delivered' : 'never contacted');
      } finally {
        await t.close();
        await hook.close();
      }
    }
  });
});
