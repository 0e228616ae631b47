import type { DirectoryClient } from './directory.js';
import type { DirectoryStore } from './ports.js';

/**
 * A directory client that records each contact's outcome as the directory's health: a test, a
 * lookup, a search or a sign-in that reached the directory is a success (whatever it answered),
 * one that could not is an error with its reason. Sign-in records its own contacts.
 */
export function recordingHealth(client: DirectoryClient, directories: Pick<DirectoryStore, 'recordHealth'>, now: () => number): DirectoryClient {
  const record = async <R extends { kind: string }>(id: string, result: R): Promise<R> => {
    const error = result.kind === 'unavailable' && 'reason' in result ? String(result.reason) : null;
    await directories.recordHealth(id, { at: now(), error });
    return result;
  };
  return {
    authenticate: async (d, username, password) => record(d.id, await client.authenticate(d, username, password)),
    lookup: async (d, username) => record(d.id, await client.lookup(d, username)),
    lookupById: async (d, uniqueId) => record(d.id, await client.lookupById(d, uniqueId)),
    searchUsers: async (d, query, limit) => record(d.id, await client.searchUsers(d, query, limit)),
    searchGroups: async (d, query, limit) => record(d.id, await client.searchGroups(d, query, limit)),
    test: async (d) => record(d.id, await client.test(d)),
    forget: (id) => client.forget(id),
    close: () => client.close(),
  };
}
