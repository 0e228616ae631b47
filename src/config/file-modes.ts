import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';

/**
 * Files holding secrets or password hashes (the SQLite database and its WAL, the master key) are
 * readable by their owner only, in a folder only the owner can enter (0600 in 0700).
 */
export const SECRET_FILE_MODE = 0o600;
export const SECRET_DIR_MODE = 0o700;

export type Warn = (message: string) => void;

/** Creates the folder 0700 when missing; an existing one open to others is tightened when it is ours. */
export function ensurePrivateDir(dir: string, warn: Warn): void {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: SECRET_DIR_MODE });
    // mkdir applies the umask; chmod makes the mode exact.
    chmodSync(dir, SECRET_DIR_MODE);
    return;
  }
  checkMode(dir, SECRET_DIR_MODE, warn);
}

/**
 * Creates an empty file 0600 when missing (SQLite then gives its -wal and -shm files the same mode);
 * an existing file open to others is tightened when this process's user owns it, else only warned.
 */
export function ensurePrivateFile(file: string, warn: Warn): void {
  if (!existsSync(file)) {
    closeSync(openSync(file, 'wx', SECRET_FILE_MODE));
    chmodSync(file, SECRET_FILE_MODE);
    return;
  }
  checkMode(file, SECRET_FILE_MODE, warn);
}

/** Checks an existing file or folder, tightening it when it belongs to this process's user. */
export function checkMode(path: string, wanted: number, warn: Warn): void {
  const st = statSync(path);
  const mode = st.mode & 0o777;
  if ((mode & 0o077) === 0) return;
  const shown = `${path} has mode ${mode.toString(8).padStart(4, '0')}`;
  const ours = typeof process.getuid === 'function' && st.uid === process.getuid();
  if (ours) {
    chmodSync(path, wanted);
    warn(`${shown}, open to other users; changed to ${wanted.toString(8).padStart(4, '0')}`);
  } else {
    warn(`${shown}, open to other users, and belongs to another user: restrict it to ${wanted.toString(8).padStart(4, '0')}`);
  }
}
