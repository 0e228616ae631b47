/** The default adapters of the core's Clock and Random ports: the system's clock and CSPRNG. */
import { randomBytes } from 'node:crypto';
import type { Clock, Random } from '../core/ports.js';

export const systemClock: Clock = { now: () => Date.now() };

/** Bytes drawn from the CSPRNG at a time; each is handed out once, then wiped from the pool. */
const POOL_SIZE = 4096;
let pool = Buffer.alloc(0);
let offset = 0;

/**
 * The operating system's CSPRNG, drawn in blocks: one `randomBytes` call costs a few microseconds
 * whatever its size, and hot paths take 16–32 bytes per token (as node's own randomUUID batches).
 */
export const systemRandom: Random = {
  bytes(length) {
    if (length > POOL_SIZE / 16) return randomBytes(length);
    if (offset + length > pool.length) {
      pool = randomBytes(POOL_SIZE);
      offset = 0;
    }
    const out = Buffer.from(pool.subarray(offset, offset + length));
    pool.fill(0, offset, offset + length);
    offset += length;
    return out;
  },
};
