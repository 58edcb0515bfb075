/*
 * Running the project's own PM2 (node_modules/.bin/pm2, pinned in package.json) with an explicit
 * PM2_HOME, and reading `pm2 jlist`.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const PM2_BIN = path.resolve(__dirname, '..', '..', 'node_modules', '.bin', 'pm2');

export interface Pm2Process {
  name: string;
  pm_id: number;
  pid: number;
  pm2_env: {
    status: string;
    restart_time: number;
    exec_mode: string;
    pm_uptime: number;
    axm_monitor?: Record<string, { value: unknown }>;
  };
  monit: { memory: number; cpu: number };
}

export async function pm2(args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 120000): Promise<string> {
  const { stdout } = await run(PM2_BIN, args, { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

export async function jlist(env: NodeJS.ProcessEnv = process.env): Promise<Pm2Process[]> {
  const out = await pm2(['jlist'], env);
  // pm2 may print warnings before the JSON document.
  return JSON.parse(out.slice(out.indexOf('['))) as Pm2Process[];
}
