import type { UserWriteGuard } from '../ports.js';

/**
 * A group of users whose members inherit its roles. A native group is managed in Latchkey; an
 * external one mirrors a directory group (`source.externalId`: the group's DN) and its memberships
 * follow the directory at each sign-in or sync.
 */
export interface Group {
  id: string;
  name: string;
  description: string;
  source: null | { directoryId: string; externalId: string };
  /** Sorted, distinct. */
  roles: string[];
  createdAt: number;
  updatedAt: number;
}

export interface GroupListQuery {
  /** Case-insensitive substring of the name. */
  search?: string;
  kind?: 'native' | 'external';
  limit: number;
  offset: number;
}

/**
 * Guards of a group write, each checked in the write's transaction: `ifUpdatedAt` as for users;
 * `enabledHolderOf`: LastHolderError when afterwards no enabled user holds one of these roles,
 * directly or through a group.
 */
export type GroupWriteGuard = UserWriteGuard;

export interface GroupStore {
  /** Sorted by name (case-insensitive). */
  list(query: GroupListQuery): Promise<{ items: Group[]; total: number }>;
  get(id: string): Promise<Group | undefined>;
  /** The native group of this name, case-insensitive (external groups' names need not be unique: see findExternal). */
  findByName(name: string): Promise<Group | undefined>;
  findExternal(directoryId: string, externalId: string): Promise<Group | undefined>;
  /**
   * DuplicateKeyError when the id is taken, a native group has the name (case-insensitive), or the
   * directory already has a group of this externalId.
   */
  insert(group: Group): Promise<void>;
  /** Writes name, description and roles (the source never changes). StaleWriteError when gone or changed. */
  update(group: Group, guard?: GroupWriteGuard): Promise<void>;
  /**
   * Deletes the group and its memberships; a directory that gave it to the users it creates no
   * longer does. Returns false when it did not exist.
   */
  remove(id: string, guard?: Pick<GroupWriteGuard, 'enabledHolderOf'>): Promise<boolean>;
  /** Member user ids, by username. */
  members(groupId: string, page: { limit: number; offset: number }): Promise<{ items: string[]; total: number }>;
  /** True when added, false when already a member; StaleWriteError when the group or the user is gone. */
  addMember(groupId: string, userId: string): Promise<boolean>;
  /** False when the user was not a member. */
  removeMember(groupId: string, userId: string, guard?: Pick<GroupWriteGuard, 'enabledHolderOf'>): Promise<boolean>;
  /** The user's groups, sorted by name. */
  groupsOf(userId: string): Promise<Group[]>;
  /**
   * Makes the user's memberships in the external groups of `directoryId` exactly `groupIds`, in
   * one transaction; native groups and other directories' groups are untouched, and ids that are
   * not external groups of this directory are left out. Returns what changed.
   */
  setExternalMemberships(userId: string, directoryId: string, groupIds: readonly string[]): Promise<{ added: string[]; removed: string[] }>;
}
