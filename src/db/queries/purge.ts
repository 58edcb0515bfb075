/*
 * `volume-api-manage db purge --age-in-days N` (issue 18), as `cinder-manage db purge`: rows soft-deleted
 * before the cutoff go for good, their key/value children first (the foreign keys), and finished
 * operations last changed before it. One transaction.
 */
import type { Db } from '../store';
import { looseDb } from './keyset';

/** Each soft-deleted table and the child tables (and their owner column) that reference its rows. */
const SOFT_DELETED: readonly { table: string; key?: string; children: readonly [string, string][] }[] = [
  { table: 'attachments', children: [] },
  { table: 'transfers', children: [] },
  { table: 'snapshots', children: [['snapshot_metadata', 'snapshot_id']] },
  { table: 'backups', children: [['backup_metadata', 'backup_id']] },
  {
    table: 'volumes',
    children: [
      ['volume_metadata', 'volume_id'],
      ['volume_admin_metadata', 'volume_id'],
    ],
  },
  { table: 'encryption', key: 'encryption_id', children: [] },
  { table: 'qos_specs', children: [['qos_spec_keys', 'qos_specs_id']] },
  {
    table: 'volume_types',
    children: [
      ['volume_type_extra_specs', 'volume_type_id'],
      ['volume_type_projects', 'volume_type_id'],
    ],
  },
];

/** Deletes what was soft-deleted (or finished, for operations) before `cutoff`; the count per table. */
export async function purgeDeletedRows(db: Db, cutoff: string): Promise<Record<string, number>> {
  const loose = looseDb(db);
  const counts: Record<string, number> = {};
  for (const { table, key = 'id', children } of SOFT_DELETED) {
    // A project's default type still names its type (a foreign key): that type stays.
    const purgeable = () => {
      let q = loose.selectFrom(table).select(key).where('deleted', '=', 1).where('deleted_at', '<', cutoff);
      if (table === 'volume_types') q = q.where('id', 'not in', loose.selectFrom('default_types').select('volume_type_id'));
      return q;
    };
    for (const [child, owner] of children) await loose.deleteFrom(child).where(owner, 'in', purgeable()).execute();
    const res = await loose.deleteFrom(table).where(key, 'in', purgeable()).executeTakeFirst();
    counts[table] = Number(res.numDeletedRows);
  }
  const messages = await loose.deleteFrom('messages').where('deleted', '=', 1).where('created_at', '<', cutoff).executeTakeFirst();
  counts.messages = Number(messages.numDeletedRows);
  const operations = await loose.deleteFrom('operations').where('state', 'in', ['succeeded', 'failed']).where('updated_at', '<', cutoff).executeTakeFirst();
  counts.operations = Number(operations.numDeletedRows);
  return counts;
}
