import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkResources, clientResources, resourceUriProblem } from '../clients/resources.js';
import { aClient, aGrant } from '../testing/builders.js';
import { Params } from './params.js';
import { GRANT_RESOURCES, narrowResources, requestedResources, tokenRequestResources } from './resource-indicators.js';

const INVALID_TARGET = { name: 'OAuth2Error(invalid_target)', code: 'invalid_target' };
const API = 'https://api.example/';
const FILES = 'https://files.example/v1';
const app = aClient()
  .key('app')
  .withMetadata({ resources: [API, FILES] })
  .build();

describe('RFC 8707 resource indicators', () => {
  it('§2: a resource is an absolute URI without fragment', () => {
    assert.equal(resourceUriProblem(API), null);
    assert.equal(resourceUriProblem('urn:example:api'), null);
    assert.match(resourceUriProblem(`${API}#frag`) ?? '', /fragment/);
    assert.match(resourceUriProblem('/api') ?? '', /absolute/);
    assert.match(resourceUriProblem('api.example/v1') ?? '', /absolute/);
    assert.match(resourceUriProblem('https://api.example/a b') ?? '', /spaces/);
    assert.match(resourceUriProblem(`https://a.example/${'x'.repeat(2000)}`) ?? '', /longer than 2000/);
  });

  it('the client setting: at most 20 resources, each a resource indicator, no duplicates', () => {
    assert.deepEqual(checkResources([API, FILES]), []);
    assert.equal(checkResources(Array.from({ length: 21 }, (_, i) => `https://r${i}.example/`)).length, 1);
    assert.match(checkResources(['/relative'])[0]?.message ?? '', /absolute/);
    assert.match(checkResources([API, API])[0]?.message ?? '', /duplicates/);
    // Values that are not resource indicators never count, even if stored through raw metadata.
    assert.deepEqual(
      clientResources(
        aClient()
          .withMetadata({ resources: [API, '/x', 7] })
          .build(),
      ),
      [API],
    );
    assert.deepEqual(clientResources(aClient().build()), []);
  });

  it('§2: the resource parameter may repeat; a malformed value is invalid_target', () => {
    const params = new Params({ resource: [API, FILES] });
    params.rejectRepeated();
    assert.deepEqual(requestedResources(params), [API, FILES]);
    assert.deepEqual(requestedResources(new Params({})), []);
    assert.throws(() => requestedResources(new Params({ resource: `${API}#x` })), INVALID_TARGET);
    assert.throws(() => requestedResources(new Params({ resource: 'relative' })), INVALID_TARGET);
    // Other parameters still may not repeat (RFC 6749 §3.1).
    assert.throws(() => new Params({ scope: ['a', 'b'] }).rejectRepeated(), { code: 'invalid_request' });
  });

  it('§2: a resource the client is not registered for is invalid_target', () => {
    assert.deepEqual(tokenRequestResources(new Params({ resource: FILES }), app), [FILES]);
    assert.deepEqual(tokenRequestResources(new Params({}), app), []);
    assert.throws(() => tokenRequestResources(new Params({ resource: 'https://other.example/' }), app), INVALID_TARGET);
    assert.throws(() => tokenRequestResources(new Params({ resource: API }), aClient().build()), INVALID_TARGET);
  });

  it('§2.2: a code or refresh token request narrows the granted resources, never widens them', () => {
    const grant = aGrant()
      .with({ extra: { [GRANT_RESOURCES]: [API] } })
      .build();
    assert.deepEqual(narrowResources(new Params({}), grant, app), [API]);
    assert.deepEqual(narrowResources(new Params({ resource: API }), grant, app), [API]);
    assert.throws(() => narrowResources(new Params({ resource: FILES }), grant, app), { ...INVALID_TARGET, message: /not granted/ });
    assert.throws(() => narrowResources(new Params({ resource: FILES }), aGrant().build(), app), INVALID_TARGET);
    // Removed from the client's setting since: no longer issued.
    assert.throws(() => narrowResources(new Params({ resource: API }), grant, aClient().build()), INVALID_TARGET);
  });
});
