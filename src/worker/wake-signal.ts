/*
 * Cross-process wake-up of the volume worker on one host.
 *
 * In standalone mode the API wakes its in-process worker directly (OperationQueue.onEnqueue). Under
 * PM2 the worker is another process and only found new operations by polling (250 ms in the
 * ecosystem), which made every create wait ~125-250 ms before work began (docs/performance.md). Now the
 * API touches `<data_dir>/run/worker-wake` after each commit that enqueued work, and the worker watches
 * that directory (inotify through fs.watch) and claims at once.
 *
 * The signal is only a hint: the operations table stays the truth, and polling stays as the fallback for
 * a lost event, a filesystem without inotify, or an API on another host (where the data dir is not
 * shared). A failed touch or watch is logged once and otherwise ignored.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log';

const WAKE_FILE = 'worker-wake';

export class WorkerWakeSignal {
  private readonly file: string;
  private warned = false;

  constructor(
    private readonly dir: string,
    private readonly log: Logger,
  ) {
    this.file = path.join(dir, WAKE_FILE);
  }

  static forDataDir(dataDir: string, log: Logger): WorkerWakeSignal {
    return new WorkerWakeSignal(path.join(dataDir, 'run'), log);
  }

  private ensureFile(): void {
    fs.mkdirSync(this.dir, { recursive: true });
    fs.closeSync(fs.openSync(this.file, 'a'));
  }

  /** API side: after a commit that enqueued work. Fire and forget. */
  notify(): void {
    const now = new Date();
    fs.utimes(this.file, now, now, (err) => {
      if (!err) return;
      if (err.code === 'ENOENT') {
        try {
          this.ensureFile();
          return;
        } catch (e) {
          err = e as NodeJS.ErrnoException;
        }
      }
      this.warnOnce(err, 'cannot signal the volume worker; it will find the operation by polling');
    });
  }

  /** Worker side: calls `onWake` whenever an API process signals. Returns a function that stops watching. */
  watch(onWake: () => void): () => void {
    try {
      this.ensureFile();
      const watcher = fs.watch(this.dir, { persistent: false }, (_event, name) => {
        if (name === null || name === WAKE_FILE) onWake();
      });
      watcher.on('error', (err) => this.warnOnce(err, 'wake-up watch failed; polling only'));
      return () => watcher.close();
    } catch (err) {
      this.warnOnce(err as Error, 'cannot watch for wake-ups; polling only');
      return () => undefined;
    }
  }

  private warnOnce(err: Error, message: string): void {
    if (this.warned) return;
    this.warned = true;
    this.log.warn({ err, wake_file: this.file }, message);
  }
}
