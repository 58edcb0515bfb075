/*
 * Column groups shared by several row types (schema.ts, backup-schema.ts, admin-schema.ts); the table
 * interfaces extend them. They mirror the migration helpers in migrations/columns.ts.
 */
import type { Generated } from 'kysely';

/** created_at (set on insert) and updated_at (null until the first update): timestampColumns. */
export interface Timestamps {
  created_at: string;
  updated_at: string | null;
}

/** The timestamps and Cinder's soft delete (deleted = 1 and deleted_at set; the row stays): softDeleteColumns. */
export interface SoftDeleteColumns extends Timestamps {
  deleted_at: string | null;
  deleted: Generated<number>;
}

/** A row of a key/value table (keyValueTable); the owner's column is the table's own. */
export interface KeyValueColumns {
  key: string;
  value: string;
}

/** A key/value row that keeps its insertion order (keyValueTable, ordered). */
export interface OrderedKeyValueColumns extends KeyValueColumns {
  /** Insertion order: Cinder returns metadata keys in the order they were set (it matters for ETags). */
  position: number;
}
