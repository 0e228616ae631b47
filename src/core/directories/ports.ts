import type { Directory } from './directory.js';

/** The outcome of the last contacts with a directory (sign-ins, syncs, tests). */
export interface DirectoryHealth {
  lastSuccessAt: number | null;
  lastErrorAt: number | null;
  /** The last error's text, at most DIRECTORY_ERROR_MAX characters; never holds a secret. */
  lastError: string | null;
}

/** Longest `lastError` kept; a longer text is cut. */
export const DIRECTORY_ERROR_MAX = 500;

/**
 * A directory as stored: its configuration, its health, and the settings that could not be read.
 * A directory with `unreadableFields` reads as disabled, each such setting as its safest value
 * (anonymous bind, no user lookup, no groups), so sign-in never uses settings it cannot trust.
 */
export type StoredDirectory = Directory & { health: DirectoryHealth; unreadableFields?: string[] };

export interface DirectoryStore {
  /** Every directory, in `position` order. */
  list(): Promise<StoredDirectory[]>;
  get(id: string): Promise<StoredDirectory | undefined>;
  /** Case-insensitive. */
  findByDomain(domain: string): Promise<StoredDirectory | undefined>;
  /**
   * Appends the directory at the end of the list (its `position` is set to the count, whatever it
   * says). DuplicateKeyError when the id, the domain (case-insensitive) or the host and port are taken.
   */
  insert(directory: Directory): Promise<void>;
  /**
   * Writes the configuration (not `position`, which only `move` changes, nor the health).
   * `ifUpdatedAt`: StaleWriteError unless the stored row still has this updatedAt; StaleWriteError
   * too when the directory is gone; DuplicateKeyError on a taken domain or host and port.
   */
  update(directory: Directory, guard?: { ifUpdatedAt?: number }): Promise<void>;
  /**
   * Moves a directory to `toPosition` (clamped to the list), shifting the ones in between, in one
   * transaction. Returns false when it does not exist.
   */
  move(id: string, toPosition: number): Promise<boolean>;
  /**
   * Removes a directory in one transaction: its users are disabled (kept, with their source, for
   * the audit history; `updatedAt` set to `at`), its groups and their memberships deleted, and the
   * directories after it move up. Returns the ids of the users it disabled, or undefined when the
   * directory did not exist.
   */
  remove(id: string, at: number): Promise<string[] | undefined>;
  /** Records a contact: `error` null is a success (the last error is kept for display). */
  recordHealth(id: string, outcome: { at: number; error: string | null }): Promise<void>;
}
