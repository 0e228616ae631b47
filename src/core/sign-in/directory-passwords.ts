/**
 * Passwords checked against the directories, in front of the internal users' own: the identify
 * step of the one password check, so the form, the password grant and HTTP Basic all reach the
 * directories through the same throttle.
 *
 * Which directories are asked: a name with a domain (`CORP\ann`, `ann@corp`) asks that
 * directory alone (or the internal users for `internal`). A bare name of an internal user is
 * checked locally. Otherwise the enabled directories are asked in list order, the user's own
 * directory first: the first that knows the name decides; one that is down or slow (its timeouts
 * hold) is passed over and its health recorded, so a down directory never blocks the others or
 * local sign-in.
 */
import type { Directory, DirectoryAuthResult, DirectoryClient } from '../directories/directory.js';
import { INTERNAL_DOMAIN_NAME } from '../directories/reserved.js';
import type { User, UserStore } from '../ports.js';
import type { ExternalUsers } from './external-users.js';
import type { PasswordIdentify } from './password.js';
import { parseSignInName } from './username.js';

export interface DirectoryList {
  list(): Promise<Directory[]>;
  recordHealth(id: string, health: { at: number; error: string | null }): Promise<void>;
}

export interface DirectoryPasswordsDeps {
  local: PasswordIdentify;
  users: Pick<UserStore, 'findByUsername' | 'get'>;
  directories: DirectoryList;
  client: Pick<DirectoryClient, 'authenticate'>;
  external: ExternalUsers;
  now(): number;
}

export function directoryPasswords(d: DirectoryPasswordsDeps): PasswordIdentify {
  const ask = async (directory: Directory, username: string, password: string): Promise<DirectoryAuthResult> => {
    const result = await d.client.authenticate(directory, username, password);
    const at = d.now();
    await d.directories.recordHealth(directory.id, { at, error: result.kind === 'unavailable' ? result.reason : null });
    return result;
  };

  return async (input, password) => {
    const all = await d.directories.list();
    if (all.length === 0) return d.local(input, password);
    const name = parseSignInName(
      input,
      all.map((x) => x.domain),
    );
    if (name.domain === INTERNAL_DOMAIN_NAME) {
      const user = await d.users.findByUsername(name.username);
      return user && !user.source ? d.local(name.username, password) : d.local('', password);
    }
    const enabled = all.filter((x) => x.enabled);
    let candidates: Directory[];
    let known: User | undefined;
    if (name.domain !== null) {
      candidates = enabled.filter((x) => x.domain.toLowerCase() === name.domain);
    } else {
      known = await d.users.findByUsername(input);
      if (known && !known.source) return d.local(input, password);
      const own = known?.source?.directoryId;
      candidates = [...enabled.filter((x) => x.id === own), ...enabled.filter((x) => x.id !== own)];
    }
    for (const directory of candidates) {
      const result = await ask(directory, name.username, password);
      if (result.kind === 'unknown' || result.kind === 'unavailable') continue;
      if (result.kind === 'wrong') return null;
      const mapped = await d.external.resolve(directory, result.entry, 'sign-in');
      if (mapped.kind !== 'user') return null;
      // Read back: the roles its groups give now are part of what it may do.
      const user = await d.users.get(mapped.user.id);
      return user?.enabled ? user : null;
    }
    // No directory knows the name: the same work as a wrong local password, then no.
    return d.local(known ? '' : input, password).then(() => null);
  };
}
