/*
 * The volume worker of one process: one WorkerLoop per backend this host runs (issue 16, Cinder's
 * enabled_backends). Each loop is a cinder-volume service of its own (`host@backend`), claims the
 * operations of its pool, and heartbeats that backend's capabilities; the host's one cinder-backup
 * service is reported by the first loop. Start, stop, wake and drain act on all of them.
 */
import type { Store } from '../db/store';
import type { Config } from '../config';
import type { Logger } from '../log';
import type { QuotaService } from '../services/quota-service';
import type { BackendSet } from './backends';
import type { BackupDriver } from './backup-drivers';
import { WorkerLoop } from './worker-loop';

export class VolumeWorker {
  readonly loops: readonly WorkerLoop[];

  constructor(
    store: Store,
    readonly backends: BackendSet,
    quota: QuotaService,
    config: ConstructorParameters<typeof WorkerLoop>[3] & Pick<Config, 'volume_backends'>,
    log: Logger,
    backupDriver?: BackupDriver,
  ) {
    const several = backends.all.length > 1;
    this.loops = backends.all.map(
      (backend, i) => new WorkerLoop(store, backend, quota, config, several ? log.child({ backend: backend.name }) : log, backupDriver, i === 0, backends),
    );
  }

  /** The first loop's lease owner id (logs); each loop has its own. */
  get owner(): string {
    return this.loops[0].owner;
  }

  /** The host strings this worker serves, one per backend. */
  get hosts(): string[] {
    return this.loops.map((l) => l.scope.host);
  }

  async start(): Promise<void> {
    // Backup storage is one per host: reconcile it once.
    for (const [i, loop] of this.loops.entries()) await loop.start({ reconcileBackups: i === 0 });
  }

  async stop(graceMs = Infinity): Promise<void> {
    await Promise.all(this.loops.map((l) => l.stop(graceMs)));
  }

  wake(): void {
    for (const l of this.loops) l.wake();
  }

  async beatNow(): Promise<void> {
    await Promise.all(this.loops.map((l) => l.beatNow()));
  }

  /** Runs claimable operations on every backend until none is left (tests, crash recovery). */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      let n = 0;
      for (const l of this.loops) n += await l.drain();
      if (n === 0) return total;
      total += n;
    }
  }
}
