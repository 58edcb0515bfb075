/*
 * Row types of the backup tables (migration 0003-backups). Kept beside schema.ts, which lists them in
 * `Database`. Column names follow the API (`name`, `description`), as the other tables do.
 */
import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

export interface BackupsTable {
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
  data_timestamp: string;
  created_at: string;
  updated_at: string | null;
  deleted_at: string | null;
  deleted: Generated<number>;
}

export interface BackupMetadataTable {
  backup_id: string;
  key: string;
  value: string;
  position: number;
}

export type BackupRow = Selectable<BackupsTable>;
export type NewBackupRow = Insertable<BackupsTable>;
export type BackupUpdate = Updateable<BackupsTable>;
