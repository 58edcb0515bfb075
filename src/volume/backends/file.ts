/*
 * The file backend: each volume is a sparse file of exactly its size (GiB) under one directory; a snapshot
 * is a copy of the volume file beside it. Copies use coreutils `cp --reflink=auto --sparse=always`:
 * filesystems that can reflink (XFS, Btrfs) share blocks, others get a copy that keeps holes as holes
 * (Node's copyFile writes every zero of a sparse file, which is slow and fills the disk). Files are written
 * to a temporary name and renamed, so a crash never leaves a half-made file under a volume's name.
 */
import fs from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import type { BackendVolume, Capacity, SnapshotRef, VolumeBackend, VolumeRef } from './backend';

export const GiB = 1024 ** 3;

const run = promisify(execFile);

/** Sparse-preserving, reflink-when-possible copy. */
async function copySparse(from: string, to: string): Promise<void> {
  await run('cp', ['--reflink=auto', '--sparse=always', '--', from, to]);
}

export class FileBackend implements VolumeBackend {
  readonly name = 'file';

  constructor(readonly dir: string) {}

  volumePath(id: string): string {
    return path.join(this.dir, `volume-${id}`);
  }

  snapshotPath(id: string): string {
    return path.join(this.dir, `snapshot-${id}`);
  }

  async init(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
  }

  async createVolume(volume: VolumeRef): Promise<BackendVolume> {
    const file = this.volumePath(volume.id);
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
    await fs.truncate(this.volumePath(volume.id), newSize * GiB);
  }

  async cloneVolume(volume: VolumeRef, source: VolumeRef): Promise<BackendVolume> {
    return this.copyInto(this.volumePath(source.id), volume);
  }

  async createSnapshot(snapshot: SnapshotRef): Promise<BackendVolume> {
    const file = this.snapshotPath(snapshot.id);
    await this.atomically(file, (tmp) => copySparse(this.volumePath(snapshot.volumeId), tmp));
    return { providerLocation: path.basename(file) };
  }

  async deleteSnapshot(snapshot: SnapshotRef): Promise<void> {
    await fs.rm(this.snapshotPath(snapshot.id), { force: true });
  }

  async createVolumeFromSnapshot(volume: VolumeRef, snapshot: SnapshotRef): Promise<BackendVolume> {
    return this.copyInto(this.snapshotPath(snapshot.id), volume);
  }

  async connectionInfo(volume: VolumeRef): Promise<Record<string, unknown>> {
    return { driver_volume_type: 'local', data: { device_path: this.volumePath(volume.id) } };
  }

  async capacity(): Promise<Capacity> {
    const s = await fs.statfs(this.dir);
    return { total_capacity_gb: Math.floor((s.blocks * s.bsize) / GiB), free_capacity_gb: Math.floor((s.bavail * s.bsize) / GiB) };
  }

  private async copyInto(sourceFile: string, volume: VolumeRef): Promise<BackendVolume> {
    const file = this.volumePath(volume.id);
    await this.atomically(file, async (tmp) => {
      await copySparse(sourceFile, tmp);
      const { size } = await fs.stat(tmp);
      if (size < volume.size * GiB) await fs.truncate(tmp, volume.size * GiB);
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
