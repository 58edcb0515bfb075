/*
 * The standalone entry point as an operator runs it: a real process, configured by environment, that
 * logs where it listens and the cinder command line, keeps its data across restarts, stops cleanly on
 * SIGTERM, and refuses a bad configuration with a message naming the key.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tmpDir } from '../lib/server';

const ROOT = path.resolve(__dirname, '..', '..');

interface Running {
  child: ChildProcess;
  port: number;
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
}

function start(env: Record<string, string>): Promise<Running> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--disable-warning=DEP0111', 'src/standalone.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`no listening line; got ${JSON.stringify(lines)}`)), 15000);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const rec = JSON.parse(line) as Record<string, unknown>;
          lines.push(rec);
          const listening = lines.find((l) => typeof l.port === 'number' && String(l.msg).includes('listening'));
          if (listening && typeof rec.cinder === 'string') {
            clearTimeout(timer);
            resolve({ child, port: listening.port as number, lines, exited });
          }
        } catch {
          // not a log line
        }
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening`));
    });
  });
}

async function waitAvailable(base: string, id: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const r = await fetch(`${base}/v3/volumes/${id}`, { headers: { 'X-Auth-Token': 'admin:abc' } });
    if (((await r.json()) as { volume: { status: string } }).volume.status === 'available') return;
    await new Promise((res) => setTimeout(res, 25));
  }
  throw new Error('volume did not become available');
}

describe('standalone process (npm start)', () => {
  const running: Running[] = [];
  afterEach(() => {
    for (const r of running.splice(0)) r.child.kill('SIGKILL');
  });

  it('starts on the configured address, logs the cinder command line, serves, and stops cleanly on SIGTERM', async () => {
    const dataDir = tmpDir();
    const r = await start({ VOLUME_API_HOST: '127.0.0.1', VOLUME_API_PORT: '0', VOLUME_API_DATA_DIR: dataDir });
    running.push(r);
    const hint = r.lines.find((l) => typeof l.cinder === 'string');
    expect(hint?.cinder).to.equal(`cinder --os-auth-type noauth --os-endpoint http://127.0.0.1:${r.port}/v3 --os-user-id admin --os-project-id admin list`);
    const base = `http://127.0.0.1:${r.port}`;
    const created = await fetch(`${base}/v3/volumes`, {
      method: 'POST',
      headers: { 'X-Auth-Token': 'admin:abc', 'Content-Type': 'application/json' },
      body: JSON.stringify({ volume: { size: 1, name: 'durable' } }),
    });
    expect(created.status).to.equal(202);
    const id = ((await created.json()) as { volume: { id: string } }).volume.id;
    await waitAvailable(base, id);
    expect(fs.existsSync(path.join(dataDir, 'volume-api.sqlite'))).to.equal(true);
    expect(fs.statSync(path.join(dataDir, 'volumes', `volume-${id}`)).size).to.equal(1024 ** 3);
    const audit = r.lines.find((l) => l.audit === true && l.route === 'CreateVolume');
    expect(audit).to.include({ name: 'volume-api', status: 202, microversion: '3.0' });
    expect(audit?.req_id).to.match(/^req-/);

    r.child.kill('SIGTERM');
    expect(await r.exited).to.equal(0);

    // Same data dir, new process: the volume is still there.
    const again = await start({ VOLUME_API_HOST: '127.0.0.1', VOLUME_API_PORT: '0', VOLUME_API_DATA_DIR: dataDir });
    running.push(again);
    const shown = await fetch(`http://127.0.0.1:${again.port}/v3/volumes/${id}`, { headers: { 'X-Auth-Token': 'admin:abc' } });
    expect(((await shown.json()) as { volume: object }).volume).to.include({ name: 'durable', status: 'available' });
    again.child.kill('SIGTERM');
    expect(await again.exited).to.equal(0);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('stops within the worker grace during a long operation, and the next start resumes it (issue 19)', async function () {
    this.timeout(40000);
    const dataDir = tmpDir();
    const env = { VOLUME_API_HOST: '127.0.0.1', VOLUME_API_PORT: '0', VOLUME_API_DATA_DIR: dataDir };
    // The worker holds each finished operation unrecorded for a minute: a stop must not wait for it.
    const r = await start({ ...env, VOLUME_API_WORKER_TEST_DELAY_MS: '60000' });
    running.push(r);
    const base = `http://127.0.0.1:${r.port}`;
    const created = await fetch(`${base}/v3/volumes`, {
      method: 'POST',
      headers: { 'X-Auth-Token': 'admin:abc', 'Content-Type': 'application/json' },
      body: JSON.stringify({ volume: { size: 1 } }),
    });
    const id = ((await created.json()) as { volume: { id: string } }).volume.id;
    await new Promise((res) => setTimeout(res, 500));
    const stopAt = Date.now();
    r.child.kill('SIGTERM');
    expect(await r.exited).to.equal(0);
    expect(Date.now() - stopAt).to.be.below(9000);
    expect(r.lines.some((l) => l.msg === 'stopped during an operation: lease handed back')).to.equal(true);

    const again = await start(env);
    running.push(again);
    await waitAvailable(`http://127.0.0.1:${again.port}`, id);
    again.child.kill('SIGTERM');
    expect(await again.exited).to.equal(0);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1 with noauth unless told otherwise, and warns when noauth is open (issue 19)', async () => {
    const dataDir = tmpDir();
    const local = await start({ VOLUME_API_PORT: '0', VOLUME_API_DATA_DIR: dataDir });
    running.push(local);
    expect(local.lines.find((l) => typeof l.port === 'number')).to.include({ host: '127.0.0.1' });
    expect(local.lines.some((l) => l.level === 40)).to.equal(false);
    local.child.kill('SIGTERM');
    expect(await local.exited).to.equal(0);
    const open = await start({ VOLUME_API_HOST: '0.0.0.0', VOLUME_API_PORT: '0', VOLUME_API_DATA_DIR: dataDir });
    running.push(open);
    expect(open.lines.find((l) => typeof l.port === 'number')).to.include({ host: '0.0.0.0' });
    // The warning comes right after the listening lines.
    for (let i = 0; i < 40 && !open.lines.some((l) => l.level === 40); i++) await new Promise((res) => setTimeout(res, 25));
    expect(open.lines.find((l) => l.level === 40)?.msg).to.match(/^auth.strategy is noauth and the API listens on 0\.0\.0\.0: anyone who can reach this port/);
    open.child.kill('SIGTERM');
    expect(await open.exited).to.equal(0);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('exits non-zero naming the key and value of a bad setting', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/standalone.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', VOLUME_API_PORT: 'eighty' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).to.equal(2);
    expect(stderr).to.match(/port \(env VOLUME_API_PORT\) = "eighty"/);
  });
});
