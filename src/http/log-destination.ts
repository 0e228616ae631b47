import { write, writeSync } from 'node:fs';

export interface BufferedOutputOptions {
  /** Characters gathered before one write: few, large writes (a pipe wakes its reader once per write). */
  minWrite: number;
  /** Characters waiting at most; lines beyond (a stalled reader) are dropped and counted, not kept. */
  maxBuffered: number;
  /** A quiet server's lines still leave within this time. */
  flushEveryMs: number;
  /**
   * Bytes per write at most, cut between lines (a longer line goes alone); 0: no bound. Several
   * processes on one pipe (the workers of `serve`) set PIPE_BUF: such a write is atomic, so
   * their lines never interleave.
   */
  maxWriteBytes: number;
}

/** POSIX guarantees at least 512; Linux pipes take 4096 bytes in one atomic write. */
export const PIPE_BUF = 4096;

const DEFAULTS: BufferedOutputOptions = { minWrite: 64 * 1024, maxBuffered: 16 * 1024 * 1024, flushEveryMs: 200, maxWriteBytes: 0 };

/**
 * The server log's way to standard output: a line costs an array push; lines leave in asynchronous
 * writes of at least `minWrite` characters (or every `flushEveryMs`), one write in flight at a
 * time, so their order is kept. The buffer is bounded (`maxBuffered`). `flushSync` writes what
 * waits, for exit and fatal errors. (pino.destination with a large minLength measures the byte
 * length of its growing last chunk on every line, which costs more than the line at this size.)
 */
export class BufferedOutput {
  private chunks: string[] = [];
  private size = 0;
  private writing = false;
  private droppedLines = 0;
  private readonly options: BufferedOutputOptions;

  constructor(
    private readonly fd = 1,
    options: Partial<BufferedOutputOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
    setInterval(() => this.writeOut(), this.options.flushEveryMs).unref();
  }

  write(line: string): void {
    if (this.size + line.length > this.options.maxBuffered) {
      this.droppedLines++;
      return;
    }
    this.chunks.push(line);
    this.size += line.length;
    if (!this.writing && this.size >= this.options.minWrite) this.writeOut();
  }

  /** Lines dropped because the buffer was full. */
  get dropped(): number {
    return this.droppedLines;
  }

  /** Writes every waiting line now, synchronously (a write already in flight finishes on its own). */
  flushSync(): void {
    try {
      while (this.size > 0) {
        const buf = this.take();
        let off = 0;
        while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
      }
    } catch {
      // Standard output is gone: nothing more can be said.
    }
  }

  /** The waiting lines (with maxWriteBytes, the first ones that fit in one write). */
  private take(): Buffer {
    const limit = this.options.maxWriteBytes;
    if (limit === 0) {
      const buf = Buffer.from(this.chunks.join(''), 'utf8');
      this.chunks = [];
      this.size = 0;
      return buf;
    }
    let bytes = 0;
    let n = 0;
    for (; n < this.chunks.length; n++) {
      const b = Buffer.byteLength(this.chunks[n] as string);
      if (n > 0 && bytes + b > limit) break;
      bytes += b;
    }
    const text = this.chunks.splice(0, n).join('');
    this.size -= text.length;
    return Buffer.from(text, 'utf8');
  }

  private writeOut(): void {
    if (this.writing || this.size === 0) return;
    this.writing = true;
    this.send(this.take(), 0);
  }

  private send(buf: Buffer, off: number): void {
    write(this.fd, buf, off, buf.length - off, null, (err, n) => {
      if (err) {
        // A non-blocking pipe that is full: try again shortly. Any other error: the output is gone.
        if (err.code === 'EAGAIN') {
          setTimeout(() => this.send(buf, off), 10);
          return;
        }
        this.writing = false;
        return;
      }
      if (off + n < buf.length) {
        this.send(buf, off + n);
        return;
      }
      this.writing = false;
      // Bounded writes: the rest of what was due follows at once.
      if (this.size >= this.options.minWrite || (this.options.maxWriteBytes > 0 && this.size > 0)) this.writeOut();
    });
  }
}

/**
 * Standard output for `latchkey serve`, flushed synchronously when the process exits. `shared`:
 * other processes write to it too (workers), so every write is a whole number of lines of at
 * most PIPE_BUF bytes.
 */
export function bufferedStdout(shared = false): BufferedOutput {
  const out = new BufferedOutput(1, shared ? { maxWriteBytes: PIPE_BUF } : {});
  process.once('exit', () => out.flushSync());
  return out;
}
