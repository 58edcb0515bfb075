/*
 * The API and the volume worker as two processes (as under PM2: `src/server.ts` and `src/worker.ts`
 * on one data dir), with the worker's poll interval set to 10 minutes: operations still start at once,
 * because the API signals the worker through the watched wake file (src/worker/wake-signal.ts). Without the
 * signal, nothing would happen before the first poll, long after these tests time out.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ID, tmpDir } from '../lib/server';

const ROOT = path.resolve(__dirname, '..', '..');

function startProcess(entry: string, env: Record<string, string>, ready: RegExp): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--disable-warning=DEP0111', entry], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${entry} did not start: ${out}`)), 30000);
    const check = () => {
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve({ child, output: () => out });
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', (code) => reject(new Error(`${entry} exited with ${code}: ${out}`)));
  });
}

describe('API wakes the separate volume worker', function () {
  this.timeout(60000);
  const children: ChildProcess[] = [];
  let dataDir = '';
  let base = '';

  before(async () => {
    dataDir = tmpDir();
    const env = {
      VOLUME_API_DATA_DIR: dataDir,
      VOLUME_API_HOST: '127.0.0.1',
      VOLUME_API_PORT: '0',
      VOLUME_API_WORKER_POLL_INTERVAL_MS: '600000',
    };
    const worker = await startProcess('src/worker.ts', env, /volume-worker running/);
    children.push(worker.child);
    const api = await startProcess('src/server.ts', env, /listening on http:\/\/127\.0\.0\.1:\d+/);
    children.push(api.child);
    base = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(api.output())![1];
  });

  after(() => {
    for (const c of children) {
      try {
        process.kill(-c.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function call(method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${base}/v3/${PROJECT_ID}${urlPath}`, {
      method,
      headers: { 'X-Auth-Token': `admin:${PROJECT_ID}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  async function waitStatus(id: string, want: string): Promise<string> {
    const deadline = Date.now() + 20000;
    for (;;) {
      const r = await call('GET', `/volumes/${id}`);
      const status = r.status === 404 ? 'deleted' : r.body.volume.status;
      if (status === want || Date.now() > deadline) return status;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('creates, extends and deletes volumes although the worker polls only every 10 minutes', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await call('POST', '/volumes', { volume: { size: 1, name: `wake-${i}` } });
      expect(r.status).to.equal(202);
      ids.push(r.body.volume.id);
    }
    for (const id of ids) expect(await waitStatus(id, 'available')).to.equal('available');
    expect((await call('POST', `/volumes/${ids[0]}/action`, { 'os-extend': { new_size: 2 } })).status).to.equal(202);
    expect(await waitStatus(ids[0], 'available')).to.equal('available');
    expect((await call('GET', `/volumes/${ids[0]}`)).body.volume.size).to.equal(2);
    for (const id of ids) expect((await call('DELETE', `/volumes/${id}`)).status).to.equal(202);
    for (const id of ids) expect(await waitStatus(id, 'deleted')).to.equal('deleted');
  });
});
