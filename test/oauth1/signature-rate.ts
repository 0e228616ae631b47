// Measures OAuth 1.0a verification throughput: `node --import tsx test/oauth1/signature-rate.ts`
// 1. HMAC-SHA1 signature checks alone (parse the header, base string, HMAC, constant-time compare);
// 2. the whole checkRequest with in-memory stores (adds secret decryption and the nonce insert);
// 3. signed GET /api/me against a real server on SQLite, 8 requests in flight.
import { randomBytes } from 'node:crypto';
import { systemRandom } from '../../src/adapters/system.js';
import { secretContext } from '../../src/core/clients/client.js';
import { sha256Hex } from '../../src/core/crypto/constant-time.js';
import { SecretBox } from '../../src/core/crypto/secret-box.js';
import { checkRequest, makeDummies, tokenContext } from '../../src/core/oauth1/check.js';
import { collectParameters, type SignedRequest } from '../../src/core/oauth1/request.js';
import { signatureBaseString } from '../../src/core/oauth1/signature/base-string.js';
import { checkSignature } from '../../src/core/oauth1/signature/index.js';
import { startServer } from '../support/server.js';
import { authHeader, createConsumer, npmClient, threeLegged } from './helpers.js';

const URL_ = 'https://as.example/api/me';
const oauth = npmClient('consumer-key', 'consumer secret', 'HMAC-SHA1');
const token = { key: 'token-key', secret: 'token secret' };
const headers = Array.from({ length: 2000 }, () => authHeader(oauth, { url: `${URL_}?q=1`, method: 'GET' }, token));
const req = (authorization: string): SignedRequest => ({ method: 'GET', baseUri: URL_, query: 'q=1', authorization, formBody: null, secureTransport: true });

function rate(name: string, seconds: number, fn: (i: number) => void) {
  const end = performance.now() + seconds * 1000;
  let n = 0;
  while (performance.now() < end) fn(n++);
  console.log(`${name}: ${Math.round(n / seconds).toLocaleString('en')} /s`);
}

rate('HMAC-SHA1 signature checks (parse + base string + HMAC + compare)', 3, (i) => {
  const p = collectParameters(req(headers[i % headers.length] ?? ''));
  const ok = checkSignature({
    method: p.signatureMethod,
    baseString: signatureBaseString('GET', URL_, p.pairs),
    signature: p.signature,
    clientSecret: 'consumer secret',
    tokenSecret: 'token secret',
    rsaKey: null,
  });
  if (!ok) throw new Error('signature mismatch');
});

const box = new SecretBox(randomBytes(32), systemRandom);
const th = sha256Hex(token.key);
const client = {
  key: 'consumer-key',
  type: 'oauth1' as const,
  name: 'c',
  status: 'approved' as const,
  secretSealed: box.seal('consumer secret', secretContext('consumer-key')),
  isPublic: false,
  requirePkce: false,
  redirectUris: [],
  postLogoutRedirectUris: [],
  grantTypes: [],
  responseTypes: [],
  callbackUrl: null,
  rsaPublicKey: null,
  metadata: {},
  createdAt: 0,
  updatedAt: 0,
  statusChangedAt: null,
  statusChangedBy: null,
  lastUsedAt: null,
  version: 1,
  createdVia: 'admin',
  resourceServer: false,
};
const user = {
  id: 'u',
  username: 'u',
  displayName: 'u',
  email: null,
  passwordHash: null,
  enabled: true,
  roles: [],
  createdAt: 0,
  updatedAt: 0,
  lastSignInAt: null,
};
const nonces = new Set<string>();
const deps = {
  clock: { now: () => Date.now() },
  clients: { get: async () => client },
  users: { get: async () => user },
  temporaries: { get: async () => undefined },
  tokens: {
    get: async () => ({ tokenHash: th, clientKey: 'consumer-key', userId: 'u', secretSealed: box.seal('token secret', tokenContext(th)), createdAt: 0 }),
  },
  nonces: { remember: async (k: string) => !nonces.has(k) && nonces.add(k) !== undefined },
  sealer: box,
  timestampWindow: 300,
  dummies: makeDummies(box, () => 'dummy'),
  events: async () => {},
};
{
  const fresh = Array.from({ length: 20000 }, () => authHeader(oauth, { url: `${URL_}?q=1`, method: 'GET' }, token));
  const start = performance.now();
  let n = 0;
  for (const h of fresh) {
    await checkRequest(deps, req(h), 'token');
    n++;
  }
  console.log(`checkRequest with in-memory stores: ${Math.round(n / ((performance.now() - start) / 1000)).toLocaleString('en')} /s`);
}

{
  const t = await startServer();
  const consumer = await createConsumer(t.app);
  const { token: tk, oauth: o } = await threeLegged(t.baseUrl, consumer);
  const url = `${t.baseUrl}/api/me`;
  const end = performance.now() + 5000;
  let n = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (performance.now() < end) {
        const res = await fetch(url, { headers: { authorization: authHeader(o, { url, method: 'GET' }, tk) } });
        if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
        n++;
      }
    }),
  );
  console.log(`signed GET /api/me end to end (SQLite, 8 in flight, client signing included): ${Math.round(n / 5).toLocaleString('en')} /s`);
  await t.close();
}
