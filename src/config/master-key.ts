import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Random } from '../core/ports.js';
import { checkMode, ensurePrivateDir, SECRET_FILE_MODE, type Warn } from './file-modes.js';
import { ConfigError } from './load.js';

/** Decodes a 32-byte key given as 64 hex digits, base64 or base64url. */
export function decodeMasterKey(text: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (key.length !== 32) throw new ConfigError('LATCHKEY_MASTER_KEY: must decode to exactly 32 bytes (64 hex digits or 44 base64 characters)');
  return key;
}

/**
 * The configured master key, or the key file in the data folder, created (mode 0600, folder 0700) on
 * first start; an existing file or folder open to other users is tightened (when ours) and warned of.
 */
export function loadMasterKey(configured: string | undefined, dataDir: string, random: Random, warn: Warn = () => {}): Buffer {
  if (configured) return decodeMasterKey(configured);
  ensurePrivateDir(dataDir, warn);
  const file = join(dataDir, 'master.key');
  if (existsSync(file)) {
    checkMode(file, SECRET_FILE_MODE, warn);
    return decodeMasterKey(readFileSync(file, 'utf8'));
  }
  const key = random.bytes(32);
  writeFileSync(file, `${key.toString('base64')}\n`, { mode: SECRET_FILE_MODE, flag: 'wx' });
  chmodSync(file, SECRET_FILE_MODE);
  return key;
}
