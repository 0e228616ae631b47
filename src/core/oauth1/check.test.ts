import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { type Client, secretContext } from '../clients/client.js';
import { sha256Hex } from '../crypto/constant-time.js';
import type { User } from '../ports.js';
import { checkRequest, makeDummies, type Sealer, tokenContext } from './check.js';
import { OAuth1Problem, problemBody, problemChallenge, problemResponse } from './problems.js';
import type { SignedRequest } from './request.js';
import { percentEncode, signatureBaseString } from './signature/base-string.js';
import { hmacSignature } from './signature/hmac.js';
import { rsaSha1Sign } from './signature/rsa.js';
import type { TokenCredential } from './storage.js';

// A reversible fake sealer: enough to prove the checker opens the right value with the right context.
const sealer: Sealer = {
  seal: (p, c) => `${c}|${p}`,
  open: (s, c) => {
    if (!s.startsWith(`${c}|`)) throw new Error('context mismatch');
    return s.slice(c.length + 1);
  },
};

const NOW = Date.UTC(2026, 0, 1);
const rsa: { publicKey: string; privateKey: string } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});

function client(key: string, status: Client['status'], extra: Partial<Client> = {}): Client {
  return {
    key,
    type: 'oauth1',
    name: key,
    status,
    secretSealed: sealer.seal(`${key}-secret`, secretContext(key)),
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
    ...extra,
  };
}

const user: User = {
  id: 'u1',
  username: 'jane',
  displayName: 'Jane',
  email: null,
  passwordHash: null,
  enabled: true,
  roles: [],
  createdAt: 0,
  updatedAt: 0,
  lastSignInAt: null,
};

function setup() {
  const clients = new Map<string, Client>([
    ['good', client('good', 'approved')],
    ['pending', client('pending', 'pending')],
    ['gone', client('gone', 'disapproved')],
    ['rsa', client('rsa', 'approved', { rsaPublicKey: rsa.publicKey })],
  ]);
  const tokenHash = sha256Hex('tok');
  const tokens = new Map<string, TokenCredential>([
    [tokenHash, { tokenHash, clientKey: 'good', userId: 'u1', secretSealed: sealer.seal('tok-secret', tokenContext(tokenHash)), createdAt: 0 }],
  ]);
  const nonces = new Set<string>();
  const calls = { clients: 0, tokens: 0, users: 0, opens: 0 };
  const countingSealer: Sealer = {
    seal: sealer.seal,
    open: (s, c) => {
      calls.opens++;
      return sealer.open(s, c);
    },
  };
  const users = new Map([['u1', user]]);
  const deps = {
    clock: { now: () => NOW },
    clients: {
      get: async (k: string) => {
        calls.clients++;
        return clients.get(k);
      },
    },
    users: {
      get: async (id: string) => {
        calls.users++;
        return users.get(id);
      },
    },
    temporaries: { get: async () => undefined },
    tokens: {
      get: async (h: string) => {
        calls.tokens++;
        return tokens.get(h);
      },
    },
    nonces: {
      remember: async (k: string) => {
        if (nonces.has(k)) return false;
        nonces.add(k);
        return true;
      },
    },
    sealer: countingSealer,
    timestampWindow: 300,
    dummies: makeDummies(sealer, () => 'dummy'),
    events: async () => {},
  };
  return { deps, calls, users, clients };
}

interface SignOptions {
  consumer?: string;
  secret?: string;
  token?: string;
  tokenSecret?: string;
  method?: string;
  timestamp?: number;
  nonce?: string;
  query?: string;
}

function signed(o: SignOptions = {}): SignedRequest {
  const consumer = o.consumer ?? 'good';
  const params: Array<[string, string]> = [
    ['oauth_consumer_key', consumer],
    ['oauth_signature_method', o.method ?? 'HMAC-SHA1'],
    ['oauth_timestamp', String(o.timestamp ?? NOW / 1000)],
    ['oauth_nonce', o.nonce ?? 'n1'],
  ];
  if (o.token !== undefined) params.push(['oauth_token', o.token]);
  const query = o.query ?? 'a=1';
  const all = [...params, ...[...new URLSearchParams(query)].map(([k, v]) => [k, v] as [string, string])];
  const bs = signatureBaseString('GET', 'https://as.example/api/me', all);
  const secret = o.secret ?? `${consumer}-secret`;
  const sig =
    o.method === 'RSA-SHA1'
      ? rsaSha1Sign(bs, rsa.privateKey)
      : hmacSignature(o.method === 'HMAC-SHA256' ? 'sha256' : 'sha1', bs, secret, o.tokenSecret ?? 'tok-secret');
  const header = `OAuth realm="r", ${[...params, ['oauth_signature', sig] as [string, string]].map(([k, v]) => `${k}="${percentEncode(v)}"`).join(', ')}`;
  return { method: 'GET', baseUri: 'https://as.example/api/me', query, authorization: header, formBody: null, secureTransport: true };
}

async function problem(p: Promise<unknown>): Promise<OAuth1Problem> {
  try {
    await p;
  } catch (err) {
    if (err instanceof OAuth1Problem) return err;
    throw err;
  }
  assert.fail('expected a problem');
}

test('a valid HMAC-SHA1 and HMAC-SHA256 request passes once; its nonce is refused the second time', async () => {
  const { deps } = setup();
  const v = await checkRequest(deps, signed({ token: 'tok' }), 'token');
  assert.equal(v.user?.username, 'jane');
  assert.equal(v.client.key, 'good');
  assert.equal((await problem(checkRequest(deps, signed({ token: 'tok' }), 'token'))).problem, 'nonce_used');
  await checkRequest(deps, signed({ token: 'tok', method: 'HMAC-SHA256', nonce: 'n2' }), 'token');
  // Same nonce with another timestamp is another request (§3.3).
  await checkRequest(deps, signed({ token: 'tok', timestamp: NOW / 1000 + 1 }), 'token');
});

test('RSA-SHA1 verifies against the registered public key; without one the method is rejected', async () => {
  const { deps } = setup();
  const v = await checkRequest(deps, signed({ consumer: 'rsa', method: 'RSA-SHA1' }), 'none');
  assert.equal(v.client.key, 'rsa');
  const p = await problem(checkRequest(deps, signed({ consumer: 'good', method: 'RSA-SHA1', nonce: 'x' }), 'none'));
  assert.equal(p.problem, 'signature_method_rejected');
});

test('verdicts: unknown, pending and disapproved consumers, bad token, token secret, timestamp', async () => {
  const { deps, users } = setup();
  const cases: Array<[SignOptions, string, number]> = [
    [{ consumer: 'nobody', token: 'tok' }, 'consumer_key_unknown', 401],
    [{ consumer: 'pending', token: 'tok' }, 'consumer_key_rejected', 401],
    [{ consumer: 'gone', token: 'tok' }, 'consumer_key_rejected', 401],
    [{ token: 'other' }, 'token_rejected', 401],
    [{ token: 'tok', tokenSecret: 'wrong' }, 'signature_invalid', 401],
    [{ token: 'tok', secret: 'wrong' }, 'signature_invalid', 401],
    [{ token: 'tok', timestamp: NOW / 1000 - 301 }, 'timestamp_refused', 401],
    [{ token: 'tok', timestamp: NOW / 1000 + 301 }, 'timestamp_refused', 401],
  ];
  for (const [o, code, status] of cases) {
    const p = await problem(checkRequest(deps, signed({ ...o, nonce: `n-${code}-${o.consumer ?? ''}` }), 'token'));
    assert.equal(p.problem, code, JSON.stringify(o));
    assert.equal(p.status, status);
  }
  const t = await problem(checkRequest(deps, signed({ token: 'tok', timestamp: NOW / 1000 - 301 }), 'token'));
  assert.equal(t.details.oauth_acceptable_timestamps, `${NOW / 1000 - 300}-${NOW / 1000 + 300}`);
  // A tampered query parameter breaks the signature.
  const req = signed({ token: 'tok', nonce: 'tamper' });
  assert.equal((await problem(checkRequest(deps, { ...req, query: 'a=2' }, 'token'))).problem, 'signature_invalid');
  // A disabled user's tokens stop working at once.
  users.set('u1', { ...user, enabled: false });
  assert.equal((await problem(checkRequest(deps, signed({ token: 'tok', nonce: 'dis' }), 'token'))).problem, 'token_revoked');
});

test('no timing oracle: unknown consumers and tokens do the same lookups and decryptions as known ones', async () => {
  const known = setup();
  await problem(checkRequest(known.deps, signed({ token: 'tok', tokenSecret: 'wrong' }), 'token'));
  const unknown = setup();
  await problem(checkRequest(unknown.deps, signed({ consumer: 'nobody', token: 'nope' }), 'token'));
  assert.deepEqual(unknown.calls, known.calls);
  assert.deepEqual(known.calls, { clients: 1, tokens: 1, users: 1, opens: 2 });
});

test('a failed request does not burn its nonce', async () => {
  const { deps } = setup();
  await problem(checkRequest(deps, signed({ token: 'tok', tokenSecret: 'wrong', nonce: 'keep' }), 'token'));
  await checkRequest(deps, signed({ token: 'tok', nonce: 'keep' }), 'token');
});

test('problem serialization: form body and WWW-Authenticate challenge', () => {
  const p = OAuth1Problem.absent(['oauth_nonce', 'oauth_timestamp']);
  assert.equal(
    problemBody(p),
    'oauth_problem=parameter_absent&oauth_parameters_absent=oauth_nonce%26oauth_timestamp&oauth_problem_advice=missing%20oauth_nonce%2C%20oauth_timestamp',
  );
  assert.equal(
    problemChallenge(OAuth1Problem.of('nonce_used', 'again'), 'https://as.example'),
    'OAuth realm="https://as.example", oauth_problem="nonce_used", oauth_problem_advice="again"',
  );
  const r = problemResponse(OAuth1Problem.of('signature_invalid', 'bad'), 'R');
  assert.equal(r.status, 401);
  assert.match(r.headers['www-authenticate'] ?? '', /^OAuth realm="R", oauth_problem="signature_invalid"/);
  assert.equal(problemResponse(p, 'R').status, 400);
});
