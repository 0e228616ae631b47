import pino from 'pino';

/** Bytes gathered before one write to standard output; below sonic-boom's 16 KiB write size. */
const MIN_WRITE_BYTES = 8 * 1024;
/** A quiet server's lines still leave within this time. */
const FLUSH_EVERY_MS = 200;
/** Lines waiting beyond this (a stalled reader of standard output) are dropped, not kept in memory. */
const MAX_BUFFER_BYTES = 16 * 1024 * 1024;

export interface LogDestination {
  stream: pino.DestinationStream;
  /** Writes what is buffered, synchronously: on exit and after a fatal error. */
  flush(): void;
  /** Lines dropped because the buffer was full. */
  dropped(): number;
}

/**
 * Standard output for the server log, written asynchronously: lines gather in a buffer and leave
 * in writes of at least MIN_WRITE_BYTES (or every FLUSH_EVERY_MS), so a request costs a string
 * copy, not a system call. The buffer is bounded (MAX_BUFFER_BYTES), and flushed synchronously on
 * exit.
 */
export function asyncStdout(): LogDestination {
  const stream = pino.destination({ dest: 1, sync: false, minLength: MIN_WRITE_BYTES, maxLength: MAX_BUFFER_BYTES, periodicFlush: FLUSH_EVERY_MS });
  let dropped = 0;
  stream.on('drop', () => {
    dropped++;
  });
  const flush = () => {
    try {
      stream.flushSync();
    } catch {
      // Standard output is gone or would block: nothing more can be said.
    }
  };
  process.once('exit', flush);
  return { stream, flush, dropped: () => dropped };
}
