/*
 * Row types of the backup tables (migration 0003-backups; service_metadata from 0006). Kept beside schema.ts, which lists them in
 * `Database`. Column names follow the API (`name`, `description`), as the other tables do.
 */
import type { Insertable, Selectable, Updateable } from 'kysely';
import type { OrderedKeyValueColumns, SoftDeleteColumns } from './row-columns';

export interface BackupsTable extends SoftDeleteColumns {
  id: string;
  project_id: string;
  user_id: string;
  volume_id: string;
  snapshot_id: string | null;
  /** The backup an incremental backup is based on (null for a full backup). */
  parent_id: string | null;
  name: string | null;
  description: string | null;
  container: string | null;
  availability_zone: string | null;
  size: number;
  object_count: number;
  status: string;
  fail_reason: string | null;
  /**
   * Where the data is in backup storage (Cinder's service_metadata, migration 0006): the id it was
   * written under, when that is not this backup's own (an imported record of another backup's data).
   */
  service_metadata: string | null;
  data_timestamp: string;
}

export interface BackupMetadataTable extends OrderedKeyValueColumns {
  backup_id: string;
}

export type BackupRow = Selectable<BackupsTable>;
export type NewBackupRow = Insertable<BackupsTable>;
export type BackupUpdate = Updateable<BackupsTable>;
