/*
 * The metadata of volumes and snapshots (cinder/api/v3/volume_metadata.py, snapshot_metadata.py): the
 * same reads and writes, each on its resource's own table. Every write is one transaction that checks
 * the resource, writes, stamps the resource's updated_at and returns the whole set as it now is.
 * Volumes also refuse writes in some statuses and take an If-Match precondition; Cinder's snapshot
 * metadata has neither, so the snapshot table leaves them out.
 */
import type { RequestContext } from '../context';
import type { Db, Store } from '../db/store';
import { nowIso } from '../db/time';
import { requireVisible, type ListSource } from './list-pipeline';

type Metadata = Record<string, string>;

/** One resource's metadata table, as db/queries gives it. */
export interface MetadataTable<Row> {
  /** The resource the metadata belongs to: visibility and its 404. */
  source: Pick<ListSource<Row, unknown>, 'find' | 'projectOf' | 'notFound'>;
  metadataFor(db: Db, ids: readonly string[]): Promise<Map<string, Metadata>>;
  merge(db: Db, id: string, metadata: Metadata): Promise<void>;
  replace(db: Db, id: string, metadata: Metadata): Promise<void>;
  deleteKey(db: Db, id: string, key: string): Promise<boolean>;
  /** The resource's update, to stamp updated_at after a write. */
  update(db: Db, id: string, changes: { updated_at: string }): Promise<boolean>;
  KeyNotFound: new (id: string, key: string) => Error;
  /** Throws when the resource's status forbids metadata writes. */
  requireWritable?(row: Row): void;
}

export class MetadataService<Row> {
  constructor(
    private readonly store: Store,
    private readonly table: MetadataTable<Row>,
  ) {}

  async get(ctx: RequestContext, id: string): Promise<Metadata> {
    await requireVisible(this.table.source, ctx, id, this.store.db);
    return this.read(this.store.db, id);
  }

  async getKey(ctx: RequestContext, id: string, key: string): Promise<string> {
    const metadata = await this.get(ctx, id);
    if (!(key in metadata)) throw new this.table.KeyNotFound(id, key);
    return metadata[key];
  }

  /** Merges or replaces; `precondition` sees the current set inside the transaction (If-Match). */
  async write(ctx: RequestContext, id: string, metadata: Metadata, mode: 'merge' | 'replace', precondition?: (current: Metadata) => void): Promise<Metadata> {
    return this.store.transaction(async (trx) => {
      const row = await requireVisible(this.table.source, ctx, id, trx);
      this.table.requireWritable?.(row);
      if (precondition) precondition(await this.read(trx, id));
      if (mode === 'merge') await this.table.merge(trx, id, metadata);
      else await this.table.replace(trx, id, metadata);
      await this.table.update(trx, id, { updated_at: nowIso() });
      return this.read(trx, id);
    });
  }

  async deleteKey(ctx: RequestContext, id: string, key: string): Promise<void> {
    await this.store.transaction(async (trx) => {
      const row = await requireVisible(this.table.source, ctx, id, trx);
      this.table.requireWritable?.(row);
      if (!(await this.table.deleteKey(trx, id, key))) throw new this.table.KeyNotFound(id, key);
      await this.table.update(trx, id, { updated_at: nowIso() });
    });
  }

  private async read(db: Db, id: string): Promise<Metadata> {
    return (await this.table.metadataFor(db, [id])).get(id)!;
  }
}
