/*
 * The file backend: each volume is a sparse file of exactly its size (GiB) under one directory; a snapshot
 * is a copy of the volume file beside it. Copies use coreutils `cp --reflink=auto --sparse=always`:
 * filesystems that can reflink (XFS, Btrfs) share blocks, others get a copy that keeps holes as holes
 * (Node's copyFile writes every zero of a sparse file, which is slow and fills the disk). Files are written
 * to a temporary name and renamed, so a crash never leaves a half-made file under a volume's name.
 *
 * Safety: file names are built only from UUIDs (anything else is refused before touching the disk), and
 * sources are opened only if they are regular files, so no request can make the driver follow a path or
 * a symlink outside its directory.
 */
import fs from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import type { BackendEntry, BackendStats, BackendVolume, Capacity, SnapshotRef, QuarantinedFile, VolumeBackend, VolumeRef } from './backend';

export const GiB = 1024 ** 3;

/** The file driver's version, as `driver_version` in its published capabilities. */
export const FILE_DRIVER_VERSION = '1.0.0';

const run = promisify(execFile);

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Only UUIDs become file names: no separators, no `..`, nothing outside the directory. */
function safeId(id: string): string {
  if (!UUID_RE.test(id)) throw new Error(`refusing unsafe resource id ${JSON.stringify(id)}`);
  return id;
}

/** Sparse-preserving, reflink-when-possible copy. */
export async function copySparse(from: string, to: string): Promise<void> {
  await run('cp', ['--reflink=auto', '--sparse=always', '--', from, to]);
}

/**
 * The filesystem has less free space than the volume's size. Files are sparse, so nothing would fail when
 * writing them; like Cinder's scheduler (capacity filter, NoValidBackend) we refuse instead. Retrying
 * cannot help, so the worker fails the operation at once (`permanent`).
 */
export class InsufficientSpaceError extends Error {
  override name = 'InsufficientSpaceError';
  readonly permanent = true;
  constructor(neededGb: number, freeGb: number) {
    super(`insufficient free space: ${neededGb} GB requested, ${freeGb} GB free on the backend`);
  }
}

export interface FileBackendOptions {
  /** The backend's name (its pool, and the backend part of host strings). Default `file`. */
  name?: string;
  /** Most GB the backend's files may take in all (0: the filesystem's size). */
  capacityGb?: number;
}

export class FileBackend implements VolumeBackend {
  readonly name: string;
  private readonly capacityGb: number;

  constructor(
    readonly dir: string,
    opts: FileBackendOptions = {},
  ) {
    this.name = opts.name ?? 'file';
    this.capacityGb = opts.capacityGb ?? 0;
  }

  volumePath(id: string): string {
    return path.join(this.dir, `volume-${safeId(id)}`);
  }

  snapshotPath(id: string): string {
    return path.join(this.dir, `snapshot-${safeId(id)}`);
  }

  get quarantineDir(): string {
    return path.join(this.dir, 'quarantine');
  }

  async init(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
  }

  async createVolume(volume: VolumeRef): Promise<BackendVolume> {
    const file = this.volumePath(volume.id);
    await this.requireFreeSpace(volume.size);
    await this.atomically(file, async (tmp) => {
      const handle = await fs.open(tmp, 'w');
      try {
        await handle.truncate(volume.size * GiB);
      } finally {
        await handle.close();
      }
    });
    return { providerLocation: path.basename(file) };
  }

  async deleteVolume(volume: VolumeRef): Promise<void> {
    await fs.rm(this.volumePath(volume.id), { force: true });
  }

  async extendVolume(volume: VolumeRef, newSize: number): Promise<void> {
    const file = this.volumePath(volume.id);
    const { size } = await fs.stat(file);
    // Only ever grow: a retried extend finds the file already grown, and data is never cut.
    if (size < newSize * GiB) {
      await this.requireFreeSpace(newSize - Math.floor(size / GiB));
      await fs.truncate(file, newSize * GiB);
    }
  }

  async cloneVolume(volume: VolumeRef, source: VolumeRef): Promise<BackendVolume> {
    await this.requireFreeSpace(volume.size);
    return this.copyInto(this.volumePath(source.id), volume);
  }

  async createSnapshot(snapshot: SnapshotRef): Promise<BackendVolume> {
    const file = this.snapshotPath(snapshot.id);
    const source = this.volumePath(snapshot.volumeId);
    if (!(await fs.lstat(source)).isFile()) throw new Error(`${path.basename(source)} is not a regular file`);
    await this.atomically(file, (tmp) => copySparse(source, tmp));
    return { providerLocation: path.basename(file) };
  }

  async deleteSnapshot(snapshot: SnapshotRef): Promise<void> {
    await fs.rm(this.snapshotPath(snapshot.id), { force: true });
  }

  async createVolumeFromSnapshot(volume: VolumeRef, snapshot: SnapshotRef): Promise<BackendVolume> {
    await this.requireFreeSpace(volume.size);
    return this.copyInto(this.snapshotPath(snapshot.id), volume);
  }

  async importVolume(volume: VolumeRef, sourceFile: string): Promise<BackendVolume> {
    await this.requireFreeSpace(volume.size);
    return this.copyInto(sourceFile, volume, { exactSize: true });
  }

  async revertToSnapshot(volume: VolumeRef, snapshot: SnapshotRef): Promise<void> {
    await this.copyInto(this.snapshotPath(snapshot.id), volume, { exactSize: true });
  }

  async connectionInfo(volume: VolumeRef): Promise<Record<string, unknown>> {
    return { driver_volume_type: 'local', data: { device_path: this.volumePath(volume.id) } };
  }

  /**
   * The filesystem's size and free space; with a capacity limit, at most that limit, less what the
   * backend's files take (their full sizes: thick provisioning).
   */
  async capacity(): Promise<Capacity> {
    const s = await fs.statfs(this.dir);
    const fsTotal = Math.floor((s.blocks * s.bsize) / GiB);
    const fsFree = Math.floor((s.bavail * s.bsize) / GiB);
    if (this.capacityGb === 0) return { total_capacity_gb: fsTotal, free_capacity_gb: fsFree };
    const used = Math.ceil((await this.bytesHeld()) / GiB);
    return { total_capacity_gb: Math.min(fsTotal, this.capacityGb), free_capacity_gb: Math.max(0, Math.min(fsFree, this.capacityGb - used)) };
  }

  /** Apparent size of every volume, snapshot and partial file of the backend. */
  private async bytesHeld(): Promise<number> {
    let total = 0;
    for (const entry of await this.inventory()) {
      const st = await fs.stat(path.join(this.dir, entry.name)).catch(() => undefined);
      total += st?.size ?? 0;
    }
    return total;
  }

  /**
   * Cinder's LVM reference driver's vendor and protocol (Tempest's configuration expects them, and types
   * with `storage_protocol=iSCSI` or `vendor_name="Open Source"` must find this backend). Thick
   * provisioning: the free-space check refuses what the filesystem cannot hold, sparse files or not.
   */
  async stats(): Promise<BackendStats> {
    return {
      ...(await this.capacity()),
      vendor_name: 'Open Source',
      driver_version: FILE_DRIVER_VERSION,
      storage_protocol: 'iSCSI',
      reserved_percentage: 0,
      thin_provisioning_support: false,
      thick_provisioning_support: true,
      max_over_subscription_ratio: '1.0',
      QoS_support: false,
      multiattach: true,
      online_extend_support: true,
    };
  }

  async inventory(): Promise<BackendEntry[]> {
    const out: BackendEntry[] = [];
    for (const name of await fs.readdir(this.dir)) {
      const m = /^(volume|snapshot)-([0-9a-f-]{36})(?:\.tmp-(\d+))?$/.exec(name);
      if (!m) continue;
      if (m[3]) out.push({ kind: 'partial', id: m[2], name, pid: Number(m[3]) });
      else out.push({ kind: m[1] as 'volume' | 'snapshot', id: m[2], name });
    }
    return out;
  }

  async quarantine(entry: BackendEntry): Promise<string> {
    await fs.mkdir(this.quarantineDir, { recursive: true });
    const target = path.join(this.quarantineDir, `${entry.name}.${Date.now()}`);
    await fs.rename(path.join(this.dir, path.basename(entry.name)), target);
    return target;
  }

  async quarantined(): Promise<QuarantinedFile[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.quarantineDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: QuarantinedFile[] = [];
    for (const name of names) {
      const st = await fs.stat(path.join(this.quarantineDir, name)).catch(() => undefined);
      if (!st) continue;
      // The name ends with the time of the move (quarantine above); else the file's change time.
      const stamp = /\.(\d{13})$/.exec(name);
      out.push({ name, bytes: st.blocks * 512, quarantinedAt: stamp ? new Date(Number(stamp[1])) : st.ctime });
    }
    return out.sort((a, b) => a.quarantinedAt.getTime() - b.quarantinedAt.getTime());
  }

  async purgeQuarantine(before: Date): Promise<QuarantinedFile[]> {
    const old = (await this.quarantined()).filter((f) => f.quarantinedAt < before);
    for (const f of old) await fs.rm(path.join(this.quarantineDir, f.name), { force: true, recursive: true });
    return old;
  }

  /** Refuses `gb` more GiB when the filesystem has less free (the volume could never be written in full). */
  private async requireFreeSpace(gb: number): Promise<void> {
    const { free_capacity_gb } = await this.capacity();
    if (gb > free_capacity_gb) throw new InsufficientSpaceError(gb, free_capacity_gb);
  }

  /** Copies a volume or snapshot file into a volume, grown to its size (or exactly its size). */
  private async copyInto(sourceFile: string, volume: VolumeRef, opts: { exactSize?: boolean } = {}): Promise<BackendVolume> {
    const st = await fs.lstat(sourceFile);
    if (!st.isFile()) throw new Error(`${path.basename(sourceFile)} is not a regular file`);
    const file = this.volumePath(volume.id);
    await this.atomically(file, async (tmp) => {
      await copySparse(sourceFile, tmp);
      const { size } = await fs.stat(tmp);
      if (size < volume.size * GiB || (opts.exactSize && size !== volume.size * GiB)) await fs.truncate(tmp, volume.size * GiB);
    });
    return { providerLocation: path.basename(file) };
  }

  private async atomically(file: string, write: (tmp: string) => Promise<void>): Promise<void> {
    const tmp = `${file}.tmp-${process.pid}`;
    try {
      await write(tmp);
      await fs.rename(tmp, file);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
  }
}
