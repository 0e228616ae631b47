import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '../clients/client.js';
import { decideEndSession, type EndSessionDeps } from './end-session.js';
import type { HintResult } from './id-token.js';

const rp = {
  key: 'rp',
  type: 'oidc',
  name: 'Wiki',
  status: 'approved',
  postLogoutRedirectUris: ['https://rp.example/bye?from=op'],
} as unknown as Client;

const hints: Record<string, HintResult> = {
  good: { status: 'valid', sub: 'alice', aud: ['rp'], sid: 'sid-1' },
  oldSession: { status: 'valid', sub: 'alice', aud: ['rp'], sid: 'sid-0' },
  forged: { status: 'invalid', reason: 'its signature does not verify' },
  retired: { status: 'unverifiable' },
};

const deps: EndSessionDeps = {
  idTokens: { readHint: async (t) => hints[t] ?? { status: 'invalid', reason: 'it is not a JWT' } },
  clients: { get: async (key) => (key === 'rp' ? rp : key === 'pending' ? ({ ...rp, key, status: 'pending' } as Client) : undefined) },
};
const session = { sid: 'sid-1', userId: 'alice' };

describe('RP-Initiated Logout decisions', () => {
  it('ends a trusted session at once and returns to the registered URI with state', async () => {
    const d = await decideEndSession(deps, {
      params: { id_token_hint: 'good', post_logout_redirect_uri: 'https://rp.example/bye?from=op', state: 'xyz' },
      session,
      confirmed: false,
    });
    assert.deepEqual(d, { kind: 'end', redirect: 'https://rp.example/bye?from=op&state=xyz', clientName: 'Wiki' });
  });

  it('asks the user when the hint is missing, unverifiable or names another session', async () => {
    for (const params of [
      {},
      { id_token_hint: 'retired' },
      { id_token_hint: 'oldSession' },
      { client_id: 'rp', post_logout_redirect_uri: 'https://rp.example/bye?from=op' },
    ]) {
      const d = await decideEndSession(deps, { params, session, confirmed: false });
      assert.equal(d.kind, 'confirm', JSON.stringify(params));
    }
    const confirmed = await decideEndSession(deps, {
      params: { client_id: 'rp', post_logout_redirect_uri: 'https://rp.example/bye?from=op' },
      session,
      confirmed: true,
    });
    assert.deepEqual(confirmed, { kind: 'end', redirect: 'https://rp.example/bye?from=op', clientName: 'Wiki' });
  });

  it('never redirects to an unregistered, unidentified or unapproved destination, and refuses forged hints', async () => {
    const cases: Array<Record<string, string>> = [
      { id_token_hint: 'good', post_logout_redirect_uri: 'https://rp.example/bye' },
      { post_logout_redirect_uri: 'https://rp.example/bye?from=op' },
      { id_token_hint: 'forged' },
      { id_token_hint: 'good', client_id: 'other' },
      { client_id: 'pending', post_logout_redirect_uri: 'https://rp.example/bye?from=op' },
    ];
    for (const params of cases) {
      const d = await decideEndSession(deps, { params, session, confirmed: true });
      assert.equal(d.kind, 'error', JSON.stringify(params));
    }
    const repeated = await decideEndSession(deps, { params: { state: ['a', 'b'] }, session, confirmed: false });
    assert.equal(repeated.kind, 'error');
  });

  it('without a session there is nothing to end, but a verified return still happens', async () => {
    assert.deepEqual(
      await decideEndSession(deps, {
        params: { id_token_hint: 'good', post_logout_redirect_uri: 'https://rp.example/bye?from=op' },
        session: null,
        confirmed: false,
      }),
      {
        kind: 'done',
        redirect: 'https://rp.example/bye?from=op',
        clientName: 'Wiki',
      },
    );
    assert.deepEqual(await decideEndSession(deps, { params: {}, session: null, confirmed: false }), { kind: 'done', redirect: null, clientName: null });
  });
});
