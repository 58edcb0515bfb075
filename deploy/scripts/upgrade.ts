/*
 * `npm run upgrade`: a health-gated `pm2 reload`. PM2's own reload is not health-gated: onto a build
 * that crashes at start it reports success and leaves every instance `errored`. This command reloads
 * only a build that has proved itself:
 *
 *   1. the configuration the apps will get is valid (`node dist/config.js` with their environment);
 *   2. a canary of the new API build starts on a spare loopback port and answers /healthcheck with 200;
 *   3. then `pm2 reload <ecosystem> --env <env>`;
 *   4. then `pm2 jlist`: every app of the ecosystem online, and no restarts during a short watch.
 *
 * When step 1 or 2 fails, nothing running is touched and the command exits 1. The canary opens the same
 * store, so pending migrations run there first (they are forward-only and run under the write lock).
 *
 *   npm run upgrade -- [--ecosystem FILE] [--env production] [--watch-ms 3000]
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { appSettings, loadEcosystem, type EcosystemApp } from '../lib/ecosystem';
import { jlist, pm2 } from '../lib/pm2';

export interface UpgradeOptions {
  ecosystem?: string;
  envName?: string;
  watchMs?: number;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

function appEnv(app: EcosystemApp, envName: string, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...base, ...appSettings(app, envName).env };
}

function runNode(args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

/** Starts the API build on 127.0.0.1:0, waits for its listening line, checks /healthcheck. */
async function canary(app: EcosystemApp, cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 20000): Promise<string> {
  const script = path.resolve(cwd, app.script);
  // Its "listening" line (info) tells the port: keep info on stdout whatever the ecosystem sets there.
  const canaryEnv: NodeJS.ProcessEnv = { ...env, VOLUME_API_HOST: '127.0.0.1', VOLUME_API_PORT: '0', VOLUME_API_LOG_STDOUT_LEVEL: 'info' };
  delete canaryEnv.pm_id; // not a PM2 process: no metrics agent
  const child = spawn(process.execPath, [script], { cwd, env: canaryEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`canary did not listen within ${timeoutMs} ms`)), timeoutMs);
      const onData = (d: Buffer) => {
        out += d.toString();
        const m = /"port":(\d+)[^\n]*listening/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      // 'close', not 'exit': stderr (the crash trace) is fully read by then.
      child.on('close', (code) => {
        clearTimeout(timer);
        reject(new Error(`canary exited with ${code} before listening`));
      });
    });
    const res = await fetch(`http://127.0.0.1:${port}/healthcheck`, { headers: { Accept: 'text/plain' } });
    const body = await res.text();
    if (res.status !== 200) throw new Error(`canary /healthcheck answered ${res.status} ${body}`);
    return `canary on port ${port}: /healthcheck ${res.status} ${body}`;
  } catch (err) {
    // The head of the output holds the crash (file:line and the error message).
    const tail = out
      .trim()
      .split('\n')
      .filter((l) => l.trim() && !/^\s+at /.test(l))
      .slice(0, 8)
      .join('\n');
    throw new Error(`${(err as Error).message}${tail ? `\n${tail}` : ''}`, { cause: err });
  } finally {
    child.kill('SIGTERM');
  }
}

export async function upgrade(opts: UpgradeOptions = {}): Promise<void> {
  const log = opts.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const env = opts.env ?? process.env;
  const envName = opts.envName ?? 'production';
  const eco = loadEcosystem(opts.ecosystem, env);
  const apiEnv = appEnv(eco.api, envName, env);

  const config = await runNode([path.resolve(eco.dir, 'dist', 'config.js')], { cwd: eco.dir, env: apiEnv });
  if (config.code !== 0) throw new Error(`configuration check failed: ${config.out.trim()}`);
  log('1/4 configuration is valid');

  log(`2/4 ${await canary(eco.api, eco.dir, apiEnv)}`);

  await pm2(['reload', eco.file, '--env', envName], env);
  log(`3/4 pm2 reload ${path.basename(eco.file)} --env ${envName} done`);

  const names = new Set(eco.apps.map((a) => a.name));
  const snapshot = async () => (await jlist(env)).filter((p) => names.has(p.name));
  const first = await snapshot();
  await new Promise((r) => setTimeout(r, opts.watchMs ?? 3000));
  const second = await snapshot();
  const problems: string[] = [];
  for (const name of names) if (!second.some((p) => p.name === name)) problems.push(`${name}: not running`);
  for (const p of second) {
    if (p.pm2_env.status !== 'online') problems.push(`${p.name}#${p.pm_id}: ${p.pm2_env.status}`);
    const before = first.find((q) => q.pm_id === p.pm_id);
    if (before && before.pm2_env.restart_time !== p.pm2_env.restart_time) problems.push(`${p.name}#${p.pm_id}: restarted during the watch (restart loop?)`);
  }
  if (problems.length > 0) throw new Error(`after the reload: ${problems.join('; ')}`);
  log(`4/4 ${second.length} processes online and steady: ${second.map((p) => `${p.name}#${p.pm_id}`).join(', ')}`);
}

function argValue(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const watch = argValue(argv, '--watch-ms');
  upgrade({ ecosystem: argValue(argv, '--ecosystem'), envName: argValue(argv, '--env'), watchMs: watch ? Number(watch) : undefined })
    .then(() => process.stdout.write('upgrade done\n'))
    .catch((err: Error) => {
      process.stderr.write(`upgrade refused: ${err.message}\n(the running processes were left as they were unless step 3 was reached)\n`);
      process.exit(1);
    });
}
