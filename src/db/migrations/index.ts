/*
 * The numbered, forward-only migrations, in order. Listed here (not read from the directory) so the same
 * list runs from TypeScript sources under tsx and from dist/. Never change the DDL a shipped migration
 * emits: add the next number. The schema-ddl test (test/unit/schema-ddl.test.ts) pins that DDL, so a
 * shipped migration's code may be tidied (e.g. onto the column helpers in columns.ts) only as long as
 * that test passes unchanged.
 */
import type { Migration } from 'kysely';
import * as m0001 from './0001-initial';
import * as m0002 from './0002-storage-operations';
import * as m0003 from './0003-backups';
import * as m0004 from './0004-transfers';
import * as m0005 from './0005-operation-hosts';
import * as m0006 from './0006-admin-surface';
import * as m0007 from './0007-groups';
import * as m0008 from './0008-operation-interruptions';

export const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-storage-operations': m0002,
  '0003-backups': m0003,
  '0004-transfers': m0004,
  '0005-operation-hosts': m0005,
  '0006-admin-surface': m0006,
  '0007-groups': m0007,
  '0008-operation-interruptions': m0008,
};
