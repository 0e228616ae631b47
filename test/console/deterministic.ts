import { createHash } from 'node:crypto';
import type { Random } from '../../src/core/ports.js';
import { type ManualClock, startServer, type TestServer } from '../support/server.js';

/**
 * Randomness from a seed (SHA-256 in counter mode), so client keys come out the same on every run
 * and the screenshots in docs/screenshots do not change when nothing visible changed. Tests only.
 */
export class SeededRandom implements Random {
  private counter = 0;
  constructor(private readonly seed: string) {}

  bytes(length: number): Buffer {
    const blocks: Buffer[] = [];
    for (let have = 0; have < length; have += 32)
      blocks.push(
        createHash('sha256')
          .update(`${this.seed}:${this.counter++}`)
          .digest(),
      );
    return Buffer.concat(blocks).subarray(0, length);
  }
}

/**
 * Like startServer (SQLite), with a hand-moved clock and seeded randomness: what the console
 * shows (keys, dates) is the same on every run.
 */
export function startDeterministicServer(clock: ManualClock, seed: string): Promise<TestServer> {
  return startServer({ backend: 'sqlite', clock, random: new SeededRandom(seed) });
}
