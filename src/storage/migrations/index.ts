import * as pg0001 from './postgres/0001-foundation.js';
import * as pg0002 from './postgres/0002-sessions.js';
import * as pg0003 from './postgres/0003-oauth2.js';
import * as pg0004 from './postgres/0004-oauth1.js';
import * as pg0005 from './postgres/0005-registration.js';
import * as pg0007 from './postgres/0007-oidc.js';
import * as pg0010 from './postgres/0010-resource-server.js';
import * as pg0011 from './postgres/0011-client-version.js';
import * as pg0012 from './postgres/0012-user-profile.js';
import * as pg0013 from './postgres/0013-directories.js';
import * as pg0014 from './postgres/0014-personal-access-tokens.js';
import * as sqlite0001 from './sqlite/0001-foundation.js';
import * as sqlite0002 from './sqlite/0002-sessions.js';
import * as sqlite0003 from './sqlite/0003-oauth2.js';
import * as sqlite0004 from './sqlite/0004-oauth1.js';
import * as sqlite0005 from './sqlite/0005-registration.js';
import * as sqlite0007 from './sqlite/0007-oidc.js';
import * as sqlite0010 from './sqlite/0010-resource-server.js';
import * as sqlite0011 from './sqlite/0011-client-version.js';
import * as sqlite0012 from './sqlite/0012-user-profile.js';
import * as sqlite0013 from './sqlite/0013-directories.js';
import * as sqlite0014 from './sqlite/0014-personal-access-tokens.js';

export interface Migration {
  id: string;
  sqlite: readonly string[];
  postgres: readonly string[];
}

/** Ordered list of migrations; each has one file per dialect. Append only. */
export const MIGRATIONS: readonly Migration[] = [
  { id: '0001-foundation', sqlite: sqlite0001.statements, postgres: pg0001.statements },
  { id: '0002-sessions', sqlite: sqlite0002.statements, postgres: pg0002.statements },
  { id: '0003-oauth2', sqlite: sqlite0003.statements, postgres: pg0003.statements },
  { id: '0004-oauth1', sqlite: sqlite0004.statements, postgres: pg0004.statements },
  { id: '0005-registration', sqlite: sqlite0005.statements, postgres: pg0005.statements },
  { id: '0007-oidc', sqlite: sqlite0007.statements, postgres: pg0007.statements },
  { id: '0010-resource-server', sqlite: sqlite0010.statements, postgres: pg0010.statements },
  { id: '0011-client-version', sqlite: sqlite0011.statements, postgres: pg0011.statements },
  { id: '0012-user-profile', sqlite: sqlite0012.statements, postgres: pg0012.statements },
  { id: '0013-directories', sqlite: sqlite0013.statements, postgres: pg0013.statements },
  { id: '0014-personal-access-tokens', sqlite: sqlite0014.statements, postgres: pg0014.statements },
];
