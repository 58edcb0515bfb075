/*
 * Backups and restores survive a crashed worker. The API runs in-process without a worker; the worker is
 * its own process (`src/worker.ts`), killed with SIGKILL in the middle of a backup (while its temporary
 * folder is being written) and in the middle of a restore (while the volume's temporary file is being
 * written). The next worker removes the dead writer's partial backup, quarantines the partial volume
 * file, retries both operations and ends them cleanly: backup `available`, volumes `available`, restored
 * data byte for byte the source's, no temporary files, and no backup folder without a live row.
 */
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, type TestServer } from '../lib/server';

const ROOT = path.resolve(__dirname, '..', '..');
const MiB = 1024 ** 2;

interface Worker {
  child: ChildProcess;
  pid: number;
  exited: Promise<unknown>;
  alive: boolean;
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60000, everyMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

describe('backups with a crashing worker process', function () {
  this.timeout(240000);
  let server: TestServer | undefined;
  const workers: Worker[] = [];

  function startWorker(dataDir: string): Promise<Worker> {
    const child = spawn(process.execPath, ['--import', 'tsx', '--disable-warning=DEP0111', 'src/worker.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        VOLUME_API_DATA_DIR: dataDir,
        VOLUME_API_WORKER_POLL_INTERVAL_MS: '50',
        VOLUME_API_BACKUP_CHUNK_SIZE_MB: '1',
        VOLUME_API_BACKUP_COMPRESSION: 'none',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const w: Worker = { child, pid: child.pid!, alive: true, exited: new Promise((resolve) => child.on('exit', resolve)) };
    void w.exited.then(() => (w.alive = false));
    workers.push(w);
    let out = '';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`volume-worker did not start: ${out}`)), 30000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('"msg":"volume-worker running"')) {
          clearTimeout(timer);
          resolve(w);
        }
      });
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    });
  }

  async function crash(w: Worker): Promise<void> {
    try {
      process.kill(-w.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await w.exited;
  }

  afterEach(async () => {
    for (const w of workers.splice(0)) if (w.alive) await crash(w);
    if (server) await server.close();
    server = undefined;
  });

  it('CRASH mid-backup and mid-restore: the next worker ends both cleanly with nothing stray', async () => {
    const s = (server = await startServer(
      { quota: { volumes: 20, gigabytes: 100, backups: 20, backup_gigabytes: 100 }, backup: { chunk_size_mb: 1, compression: 'none' } },
      { worker: false },
    ));
    const backupsDir = path.join(s.dataDir, 'backups');
    const w1 = await startWorker(s.dataDir);
    const created = await s.request('POST', '/v3/volumes', { body: { volume: { size: 2 } } });
    const vol = created.body.volume.id as string;
    await s.waitForVolume(vol, ['available'], 20000);
    // Real data (not holes) in the first 1.5 GiB, so backup and restore take a while.
    const block = Buffer.alloc(16 * MiB);
    for (let i = 0; i < block.length; i++) block[i] = (i * 7 + 3) % 253 || 1;
    const fd = fs.openSync(path.join(s.config.backend.path, `volume-${vol}`), 'r+');
    for (let off = 0; off < 1536 * MiB; off += block.length) {
      block.writeUInt32LE(off / block.length, 0);
      fs.writeSync(fd, block, 0, block.length, off);
    }
    fs.closeSync(fd);

    // --- mid-backup ---
    const b = await s.request('POST', '/v3/backups', { body: { backup: { volume_id: vol, name: 'crash' } } });
    expect(b.status, b.text).to.equal(202);
    const backupId = b.body.backup.id as string;
    const partial = `.tmp-${backupId}-${w1.pid}`;
    await waitFor('the partial backup folder with some chunks', () => {
      try {
        return fs.readdirSync(path.join(backupsDir, partial, 'chunks')).length > 20;
      } catch {
        return false;
      }
    });
    await crash(w1);
    expect(fs.existsSync(path.join(backupsDir, partial))).to.equal(true);
    expect((await s.request('GET', `/v3/backups/${backupId}`)).body.backup.status).to.equal('creating');

    const w2 = await startWorker(s.dataDir);
    await waitFor('the backup to become available', async () => (await s.request('GET', `/v3/backups/${backupId}`)).body.backup.status === 'available');
    await s.waitForVolume(vol, ['available'], 20000);
    expect(fs.readdirSync(backupsDir).sort()).to.deep.equal([backupId]);
    const op = await s.services.store.db.selectFrom('operations').selectAll().where('resource_id', '=', backupId).executeTakeFirstOrThrow();
    // The killed run is an interruption, not a charged attempt (issue 19).
    expect(op).to.include({ state: 'succeeded', attempts: 1, interruptions: 1 });

    // --- mid-restore ---
    const r = await s.request('POST', `/v3/backups/${backupId}/restore`, { body: { restore: { name: 'restored' } } });
    expect(r.status, r.text).to.equal(202);
    const target = r.body.restore.volume_id as string;
    const tmpFile = path.join(s.config.backend.path, `volume-${target}.tmp-${w2.pid}`);
    await waitFor('the partial restore file', () => fs.existsSync(tmpFile) && fs.statSync(tmpFile).blocks * 512 > 64 * MiB);
    await crash(w2);
    expect((await s.request('GET', `/v3/volumes/${target}`)).body.volume.status).to.equal('restoring-backup');
    expect((await s.request('GET', `/v3/backups/${backupId}`)).body.backup.status).to.equal('restoring');

    const w3 = await startWorker(s.dataDir);
    await s.waitForVolume(target, ['available'], 60000);
    await waitFor('the backup to be available again', async () => (await s.request('GET', `/v3/backups/${backupId}`)).body.backup.status === 'available');
    expect(
      spawnSync('cmp', ['--silent', path.join(s.config.backend.path, `volume-${vol}`), path.join(s.config.backend.path, `volume-${target}`)]).status,
      'restored data',
    ).to.equal(0);

    // Nothing stray: no partial files anywhere, backup folders only for live backups.
    const volumeFiles = fs.readdirSync(s.config.backend.path).filter((n) => n !== 'quarantine');
    expect(volumeFiles.filter((n) => n.includes('.tmp-'))).to.deep.equal([]);
    expect(volumeFiles.sort()).to.deep.equal([`volume-${vol}`, `volume-${target}`].sort());
    expect(fs.readdirSync(backupsDir)).to.deep.equal([backupId]);
    const liveOps = await s.services.store.db.selectFrom('operations').select(['kind', 'state']).where('state', 'in', ['pending', 'running']).execute();
    expect(liveOps).to.deep.equal([]);

    // Deleting the backup removes its folder.
    expect((await s.request('DELETE', `/v3/backups/${backupId}`)).status).to.equal(202);
    await waitFor('the backup to be gone', async () => (await s.request('GET', `/v3/backups/${backupId}`)).status === 404);
    expect(fs.readdirSync(backupsDir)).to.deep.equal([]);
    await crash(w3);
  });
});
