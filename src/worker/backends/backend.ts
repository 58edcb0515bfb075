/*
 * The backend driver interface: everything the volume worker asks of storage. Drivers are selected by
 * name (config `backend.name`). Every method is idempotent, because the worker retries an operation whose
 * previous attempt died halfway (crash recovery): creating what exists, or deleting what is gone, succeeds.
 */

export interface VolumeRef {
  id: string;
  size: number;
}

export interface SnapshotRef {
  id: string;
  volumeId: string;
  size: number;
}

export interface Capacity {
  total_capacity_gb: number;
  free_capacity_gb: number;
}

/**
 * What a driver says about itself and its one pool (Cinder's get_volume_stats): the worker's heartbeat
 * publishes it, with the store's allocation, for the scheduler and `GET /scheduler-stats/get_pools`.
 */
export interface BackendStats extends Capacity {
  vendor_name: string;
  driver_version: string;
  /** How hosts attach its volumes, as the scheduler matches it (`storage_protocol` extra specs). */
  storage_protocol: string;
  reserved_percentage: number;
  thin_provisioning_support: boolean;
  thick_provisioning_support: boolean;
  max_over_subscription_ratio: string;
  QoS_support: boolean;
  multiattach: boolean;
  online_extend_support: boolean;
}

export interface BackendVolume {
  /** Opaque location the driver finds the data by later (stored as `provider_location`). */
  providerLocation: string;
}

export interface VolumeBackend {
  readonly name: string;
  /** Prepares the backend (directories, connections). Called once at worker start. */
  init(): Promise<void>;
  createVolume(volume: VolumeRef): Promise<BackendVolume>;
  deleteVolume(volume: VolumeRef): Promise<void>;
  extendVolume(volume: VolumeRef, newSize: number): Promise<void>;
  /** A new volume holding the source volume's data, grown to `volume.size`. */
  cloneVolume(volume: VolumeRef, source: VolumeRef): Promise<BackendVolume>;
  createSnapshot(snapshot: SnapshotRef): Promise<BackendVolume>;
  deleteSnapshot(snapshot: SnapshotRef): Promise<void>;
  /** A new volume holding the snapshot's data, grown to `volume.size`. */
  createVolumeFromSnapshot(volume: VolumeRef, snapshot: SnapshotRef): Promise<BackendVolume>;
  /** The volume's data copied in from a file of this host (a migration's source or staged copy), exactly its size. */
  importVolume(volume: VolumeRef, sourceFile: string): Promise<BackendVolume>;
  /** Puts the snapshot's data back into its volume (the volume keeps its size). */
  revertToSnapshot(volume: VolumeRef, snapshot: SnapshotRef): Promise<void>;
  /** What a host needs to attach the volume (os-initialize_connection). */
  connectionInfo(volume: VolumeRef, connector: Record<string, unknown>): Promise<Record<string, unknown>>;
  capacity(): Promise<Capacity>;
  /** Capacity and features, as the heartbeat publishes them. */
  stats(): Promise<BackendStats>;
  /** Where this host reads and writes a volume's data directly (backups and restores). */
  volumePath(volumeId: string): string;
  /** Where this host reads a snapshot's data directly (backups of a snapshot). */
  snapshotPath(snapshotId: string): string;
  /** Everything the backend holds, for reconciliation against the store. */
  inventory(): Promise<BackendEntry[]>;
  /** Moves an entry aside (never deletes it): reconciliation found no row for it. */
  quarantine(entry: BackendEntry): Promise<string>;
  // --- quarantine housekeeping (issue 18) ---
  /** What the quarantine holds: file name, bytes allocated, when it was moved there. */
  quarantined(): Promise<QuarantinedFile[]>;
  /** Deletes quarantined files moved there before `before`; returns them. */
  purgeQuarantine(before: Date): Promise<QuarantinedFile[]>;
}

export interface QuarantinedFile {
  name: string;
  bytes: number;
  quarantinedAt: Date;
}

export interface BackendEntry {
  kind: 'volume' | 'snapshot' | 'partial';
  /** Resource id (volume or snapshot id); for partial files, the id they were being made for. */
  id: string;
  /** Driver-specific name (the file backend: the file name). */
  name: string;
  /** Partial files: the pid of the process that was writing it. */
  pid?: number;
}
