import assert from 'node:assert/strict';
import fs, { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, mock } from 'node:test';
import { BufferedOutput } from './log-destination.js';

const dir = mkdtempSync(join(tmpdir(), 'latchkey-log-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function output(name: string) {
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  return { fd, read: () => readFileSync(path, 'utf8'), close: () => closeSync(fd) };
}

const settle = () => new Promise((r) => setTimeout(r, 50));

describe('BufferedOutput', () => {
  it('holds lines until minWrite characters wait, then writes them in order', async () => {
    const file = output('batch.log');
    const out = new BufferedOutput(file.fd, { minWrite: 30, flushEveryMs: 60_000 });
    out.write('line-1\n');
    out.write('line-2\n');
    await settle();
    assert.equal(file.read(), '', 'below minWrite nothing is written');
    for (let i = 3; i <= 6; i++) out.write(`line-${i}\n`);
    await settle();
    // The fifth line reached 30 characters: lines 1–5 left together; the sixth waits for more.
    assert.equal(file.read(), [1, 2, 3, 4, 5].map((i) => `line-${i}\n`).join(''));
    out.flushSync();
    assert.equal(file.read(), [1, 2, 3, 4, 5, 6].map((i) => `line-${i}\n`).join(''));
    file.close();
  });

  it('writes a quiet server’s lines within flushEveryMs', async () => {
    const file = output('quiet.log');
    const out = new BufferedOutput(file.fd, { minWrite: 1_000_000, flushEveryMs: 20 });
    out.write('only line\n');
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(file.read(), 'only line\n');
    file.close();
  });

  it('drops and counts lines beyond maxBuffered, and flushSync writes what waits at once', () => {
    const file = output('bounded.log');
    const out = new BufferedOutput(file.fd, { minWrite: 1_000_000, maxBuffered: 20, flushEveryMs: 60_000 });
    out.write('0123456789\n');
    out.write('abcdefghij\n');
    out.write('ABCDEFGHIJ\n');
    assert.equal(out.dropped, 2, 'the second and third line do not fit in 20 characters');
    out.flushSync();
    assert.equal(file.read(), '0123456789\n', 'written synchronously');
    out.write('after\n');
    out.flushSync();
    assert.equal(file.read(), '0123456789\nafter\n', 'room again once flushed');
    file.close();
  });

  it('with maxWriteBytes, writes whole lines in writes of at most that many bytes, in order, a longer line alone', async () => {
    const file = output('bounded-writes.log');
    // Every write(2) the output makes, seen through node:fs (whose named exports follow the module object).
    const writes: number[] = [];
    const original = fs.write;
    const spy = mock.method(fs, 'write', ((...args: unknown[]) => {
      if (args[0] === file.fd) writes.push(Number(args[3]));
      Reflect.apply(original, fs, args);
    }) as typeof fs.write);
    syncBuiltinESMExports();
    try {
      const out = new BufferedOutput(file.fd, { minWrite: 1, flushEveryMs: 60_000, maxWriteBytes: 24 });
      const lines = ['aaaaaaaaa\n', 'bbbbbbbbb\n', 'ccccccccc\n', `${'L'.repeat(40)}\n`, 'ddd\n', `${'é'.repeat(10)}\n`];
      for (const line of lines) out.write(line);
      await settle();
      assert.equal(file.read(), lines.join(''), 'every line, in order');
      // The first line leaves at once (minWrite 1); the next two together (20 bytes); the 41-byte
      // line alone; "ddd" and the line of é (21 bytes, é is two) do not fit in 24 together.
      assert.deepEqual(writes, [10, 20, 41, 4, 21]);
    } finally {
      spy.mock.restore();
      syncBuiltinESMExports();
      file.close();
    }
  });
});
