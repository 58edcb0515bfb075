/*
 * The default backup driver: backups in a directory (config `backup.path`, default `<data_dir>/backups`).
 *
 * Layout: `<path>/<backup id>/metadata.json` and `<path>/<backup id>/chunks/<index>`. The volume is cut
 * into fixed-size chunks (config `backup.chunk_size_mb`); each chunk that is not all zeros is stored
 * compressed (config `backup.compression`), and the metadata file records, for every chunk, the sha256
 * of its raw data and which backup holds it. All-zero chunks are recorded as such and not stored, so a
 * mostly empty volume takes little space. An incremental backup stores only the chunks whose hash
 * differs from its parent's and refers to the parent's (or an older ancestor's) files for the rest; the
 * metadata file alone (with those chunk files) is enough to restore, without the database. It also keeps
 * the volume's name, description and metadata at backup time (`volume`), which the restore gives back, as
 * Cinder's drivers keep "volume_meta" in theirs.
 *
 * Crash safety: a backup is written into `<path>/.tmp-<id>-<pid>` and renamed to `<path>/<id>` only when
 * complete, so a half-written backup never has the final name; a retry finds a complete one and stops.
 * A restore writes `<volume file>.tmp-<pid>` (the volume backend's partial name) and renames it over the
 * volume file only after every chunk's hash was checked: a corrupt backup never becomes volume data.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import {
  BackupCorruptError,
  type BackupDriver,
  type BackupEntry,
  type BackupRequest,
  type BackupResult,
  type RestoreRequest,
  type RestoreResult,
  type VolumeMeta,
} from './backup-driver';
import { POSIX_SERVICE_NAME } from '../../services/backup-service';

const deflate = promisify(zlib.deflate);
const inflate = promisify(zlib.inflate);
const GiB = 1024 ** 3;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const METADATA_FORMAT = 'volume-api-backup/1';

function safeId(id: string): string {
  if (!UUID_RE.test(id)) throw new Error(`refusing unsafe backup id ${JSON.stringify(id)}`);
  return id;
}

const ZERO_HASHES = new Map<number, string>();
function zeroHash(length: number): string {
  let h = ZERO_HASHES.get(length);
  if (!h) ZERO_HASHES.set(length, (h = createHash('sha256').update(Buffer.alloc(length)).digest('hex')));
  return h;
}

export interface ChunkEntry {
  index: number;
  /** sha256 (hex) of the raw chunk data. */
  sha256: string;
  /** All zeros: nothing stored. */
  zero?: boolean;
  /** The backup whose `chunks/<index>` file holds the data (this one, or an ancestor). */
  stored_in?: string;
}

export interface BackupMetadataFile {
  format: string;
  backup_id: string;
  parent_id: string | null;
  size_gb: number;
  size_bytes: number;
  chunk_size: number;
  compression: 'zlib' | 'none';
  created_at: string;
  chunks: ChunkEntry[];
  /** Absent in backups written before it was kept. */
  volume?: VolumeMeta;
}

export class PosixBackupDriver implements BackupDriver {
  readonly serviceName = POSIX_SERVICE_NAME;

  constructor(
    readonly dir: string,
    private readonly chunkSize: number,
    private readonly compression: 'zlib' | 'none',
  ) {}

  backupDir(id: string): string {
    return path.join(this.dir, safeId(id));
  }

  chunkFile(id: string, index: number): string {
    return path.join(this.backupDir(id), 'chunks', String(index).padStart(8, '0'));
  }

  async init(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
  }

  async readMetadata(id: string): Promise<BackupMetadataFile> {
    const text = await fs.readFile(path.join(this.backupDir(id), 'metadata.json'), 'utf8');
    const meta = JSON.parse(text) as BackupMetadataFile;
    if (meta.format !== METADATA_FORMAT || meta.backup_id !== id) throw new BackupCorruptError(`backup ${id}: bad metadata file`);
    return meta;
  }

  async exists(id: string): Promise<boolean> {
    try {
      await this.readMetadata(id);
      return true;
    } catch {
      return false;
    }
  }

  async backup(req: BackupRequest): Promise<BackupResult> {
    const final = this.backupDir(req.backupId);
    if (await this.exists(req.backupId)) return { objectCount: await this.countObjects(final) };
    const parent = req.parentId ? await this.readMetadata(req.parentId) : undefined;
    if (parent && parent.chunk_size !== this.chunkSize) throw new Error(`parent backup ${req.parentId} uses another chunk size`);
    const tmp = path.join(this.dir, `.tmp-${req.backupId}-${process.pid}`);
    await fs.rm(tmp, { recursive: true, force: true });
    await fs.mkdir(path.join(tmp, 'chunks'), { recursive: true });
    try {
      const st = await fs.lstat(req.sourceFile);
      if (!st.isFile()) throw new Error(`${path.basename(req.sourceFile)} is not a regular file`);
      const total = req.sizeGb * GiB;
      const chunks: ChunkEntry[] = [];
      const zero = Buffer.alloc(this.chunkSize);
      const buf = Buffer.alloc(this.chunkSize);
      const handle = await fs.open(req.sourceFile, 'r');
      try {
        for (let index = 0, offset = 0; offset < total; index++, offset += this.chunkSize) {
          const length = Math.min(this.chunkSize, total - offset);
          let got = 0;
          while (got < length) {
            const { bytesRead } = await handle.read(buf, got, length - got, offset + got);
            if (bytesRead === 0) break;
            got += bytesRead;
          }
          if (got < length) buf.fill(0, got, length); // past the end of a shorter file: zeros
          const data = buf.subarray(0, length);
          // Sparse regions: recorded as zero, never stored (their hash is computed once per length).
          if (data.equals(zero.subarray(0, length))) {
            chunks.push({ index, sha256: zeroHash(length), zero: true });
            continue;
          }
          const sha256 = createHash('sha256').update(data).digest('hex');
          const previous = parent?.chunks[index];
          if (previous && !previous.zero && previous.sha256 === sha256 && previous.stored_in) {
            chunks.push({ index, sha256, stored_in: previous.stored_in });
            continue;
          }
          const stored = this.compression === 'zlib' ? await deflate(data) : Buffer.from(data);
          await fs.writeFile(path.join(tmp, 'chunks', String(index).padStart(8, '0')), stored);
          chunks.push({ index, sha256, stored_in: req.backupId });
        }
      } finally {
        await handle.close();
      }
      const meta: BackupMetadataFile = {
        format: METADATA_FORMAT,
        backup_id: req.backupId,
        parent_id: req.parentId,
        size_gb: req.sizeGb,
        size_bytes: total,
        chunk_size: this.chunkSize,
        compression: this.compression,
        created_at: new Date().toISOString(),
        chunks,
        volume: req.volume,
      };
      const metaHandle = await fs.open(path.join(tmp, 'metadata.json'), 'w');
      try {
        await metaHandle.writeFile(JSON.stringify(meta));
        await metaHandle.sync();
      } finally {
        await metaHandle.close();
      }
      await fs.rm(final, { recursive: true, force: true });
      await fs.rename(tmp, final);
      return { objectCount: await this.countObjects(final) };
    } catch (err) {
      await fs.rm(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  async restore(req: RestoreRequest): Promise<RestoreResult> {
    let meta: BackupMetadataFile;
    try {
      meta = await this.readMetadata(req.backupId);
    } catch (err) {
      throw err instanceof BackupCorruptError ? err : new BackupCorruptError(`backup ${req.backupId} cannot be read: ${(err as Error).message}`);
    }
    if (meta.size_bytes > req.sizeGb * GiB) throw new BackupCorruptError(`backup ${req.backupId} is larger than the volume`);
    const tmp = `${req.targetFile}.tmp-${process.pid}`;
    try {
      const handle = await fs.open(tmp, 'w');
      try {
        await handle.truncate(req.sizeGb * GiB);
        for (const chunk of meta.chunks) {
          if (chunk.zero) continue;
          const from = this.chunkFile(chunk.stored_in!, chunk.index);
          let data: Buffer;
          try {
            const stored = await fs.readFile(from);
            data = meta.compression === 'zlib' ? await inflate(stored) : stored;
          } catch (err) {
            throw new BackupCorruptError(`backup ${req.backupId}: chunk ${chunk.index} cannot be read: ${(err as Error).message}`);
          }
          if (createHash('sha256').update(data).digest('hex') !== chunk.sha256) {
            throw new BackupCorruptError(`backup ${req.backupId}: chunk ${chunk.index} does not match its sha256`);
          }
          await handle.write(data, 0, data.length, chunk.index * meta.chunk_size);
        }
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(tmp, req.targetFile);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
    return { volume: meta.volume };
  }

  async delete(backupId: string): Promise<void> {
    await fs.rm(this.backupDir(backupId), { recursive: true, force: true });
    for (const entry of await this.inventory()) {
      if (entry.kind === 'partial' && entry.id === backupId) await this.remove(entry);
    }
  }

  async inventory(): Promise<BackupEntry[]> {
    const out: BackupEntry[] = [];
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch {
      return out;
    }
    for (const name of names) {
      const partial = /^\.tmp-([0-9a-f-]{36})-(\d+)$/.exec(name);
      if (partial) out.push({ kind: 'partial', id: partial[1], name, pid: Number(partial[2]) });
      else if (UUID_RE.test(name)) out.push({ kind: 'backup', id: name, name });
    }
    return out;
  }

  async remove(entry: BackupEntry): Promise<void> {
    await fs.rm(path.join(this.dir, path.basename(entry.name)), { recursive: true, force: true });
  }

  private async countObjects(dir: string): Promise<number> {
    return (await fs.readdir(path.join(dir, 'chunks'))).length + 1;
  }
}
