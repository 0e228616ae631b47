import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { purgeExpired } from './purger.js';

describe('purgeExpired', () => {
  it('runs each task in batches until a short batch, honouring keepFor', async () => {
    let left = 1250;
    const seen: number[] = [];
    const report = await purgeExpired(
      [
        {
          name: 'codes',
          run: async (_before, batch) => {
            const n = Math.min(batch, left);
            left -= n;
            return n;
          },
        },
        {
          name: 'nonces',
          keepFor: 100,
          run: async (before) => {
            seen.push(before);
            return 0;
          },
        },
      ],
      1000,
      { batch: 500 },
    );
    assert.deepEqual(report, { codes: 1250, nonces: 0 });
    assert.deepEqual(seen, [900]);
  });

  it('stops after maxBatches so one purge run stays bounded', async () => {
    let calls = 0;
    await purgeExpired(
      [
        {
          name: 'endless',
          run: async (_b, batch) => {
            calls++;
            return batch;
          },
        },
      ],
      0,
      { batch: 10, maxBatches: 3 },
    );
    assert.equal(calls, 3);
  });
});
