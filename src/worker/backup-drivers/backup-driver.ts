/*
 * The backup driver interface: what the worker's backup operations ask of backup storage. Like the
 * volume backends, every method is idempotent, because the worker retries an operation whose previous
 * attempt died halfway.
 */

/**
 * What a backup keeps of its volume besides the data (Cinder's backup metadata: the volume's name,
 * description and metadata at backup time); a restore gives it back for the target volume.
 */
export interface VolumeMeta {
  name: string | null;
  description: string | null;
  metadata: Record<string, string>;
}

/**
 * Backup ids below are the ids the data is stored under: a backup's own id, or for an imported record
 * the id the data was written with (backups.service_metadata).
 */
export interface BackupRequest {
  backupId: string;
  /** The parent of an incremental backup: only chunks that differ from it are stored. */
  parentId: string | null;
  /** The file holding the data (a volume's or a snapshot's backing file). */
  sourceFile: string;
  /** Size of the source volume in GiB (what a restore needs at least). */
  sizeGb: number;
  /** Kept with the data, returned by `restore`. */
  volume: VolumeMeta;
}

export interface BackupResult {
  /** Objects stored for this backup (chunk files plus the metadata file). */
  objectCount: number;
}

export interface RestoreResult {
  /** The source volume's name, description and metadata, when the backup holds them (older ones do not). */
  volume?: VolumeMeta;
}

export interface RestoreRequest {
  backupId: string;
  /** The volume file to (over)write: written to a temporary name first and renamed at the end. */
  targetFile: string;
  /** Size of the target volume in GiB (at least the backup's). */
  sizeGb: number;
}

export interface BackupEntry {
  kind: 'backup' | 'partial';
  id: string;
  name: string;
  pid?: number;
}

export interface BackupDriver {
  /** The `backup_service` name of exported records; import refuses records of another service. */
  readonly serviceName: string;
  init(): Promise<void>;
  backup(req: BackupRequest): Promise<BackupResult>;
  restore(req: RestoreRequest): Promise<RestoreResult>;
  delete(backupId: string): Promise<void>;
  /** Whether a complete backup (its metadata file) exists: import_record checks it. */
  exists(backupId: string): Promise<boolean>;
  inventory(): Promise<BackupEntry[]>;
  /** Removes an entry found by reconciliation (a partial backup, or data of a deleted backup). */
  remove(entry: BackupEntry): Promise<void>;
}

/** The stored data does not match its recorded hash (or cannot be read): retrying cannot help. */
export class BackupCorruptError extends Error {
  override name = 'BackupCorruptError';
  readonly permanent = true;
}
