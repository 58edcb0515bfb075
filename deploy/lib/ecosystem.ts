/*
 * The one reader of ecosystem.config.js for deploy tooling (log rotation setup, upgrade, web-server
 * generators, benchmark): app names, port, instances, script paths and log files come from the file
 * itself, evaluated with the given environment, so nothing repeats them. The VOLUME_API_* values of an
 * app's environment are read through appSettings, typed, rather than from the env records.
 */
import path from 'node:path';

/** An app's environments as PM2 takes them: `env`, and `env_NAME` over it with `pm2 start --env NAME`. */
export interface AppEnvironments {
  env: Record<string, string>;
  [envName: `env_${string}`]: Record<string, string> | undefined;
}

export interface EcosystemApp extends AppEnvironments {
  name: string;
  script: string;
  exec_mode: 'cluster' | 'fork';
  instances: number;
  out_file: string;
  error_file: string;
  /** The JSON log the app writes itself (env VOLUME_API_LOG_FILE). */
  log_file: string;
  cwd: string;
  env_production?: Record<string, string>;
  kill_timeout?: number;
}

/** What deploy reads from an app's environment (the VOLUME_API_* keys ecosystem.config.js sets). */
export interface AppSettings {
  /** VOLUME_API_PORT. */
  port: number;
  /** VOLUME_API_DATA_DIR as written (a relative one is relative to the app's directory); default ./data. */
  dataDir: string;
  /** VOLUME_API_LOG_FILE: the JSON log the app writes itself. */
  logFile: string;
  /** VOLUME_API_KEEP_ALIVE_TIMEOUT_MS when set (NaN when it is not a number). */
  keepAliveTimeoutMs?: number;
  /** The whole environment the app gets, every key a string. */
  env: Record<string, string>;
}

/** Whether the app defines env_NAME (`pm2 start --env NAME` changes its environment). */
export function definesEnv(app: AppEnvironments, envName: string): boolean {
  return app[`env_${envName}`] !== undefined;
}

/** The app's settings with `pm2 start --env NAME` (env_NAME over env), or with env alone. */
export function appSettings(app: AppEnvironments, envName?: string): AppSettings {
  const env = { ...app.env, ...(envName === undefined ? {} : app[`env_${envName}`]) };
  const keepAlive = env.VOLUME_API_KEEP_ALIVE_TIMEOUT_MS;
  return {
    port: Number(env.VOLUME_API_PORT),
    dataDir: env.VOLUME_API_DATA_DIR ?? './data',
    logFile: env.VOLUME_API_LOG_FILE,
    keepAliveTimeoutMs: keepAlive === undefined ? undefined : Number(keepAlive),
    env,
  };
}

export interface LogRotationPolicy {
  max_size: string;
  retain: number;
  compress: boolean;
  interval: 'daily' | 'weekly' | 'monthly' | 'hourly';
}

export interface Ecosystem {
  file: string;
  dir: string;
  apps: EcosystemApp[];
  log_rotation: LogRotationPolicy;
  api: EcosystemApp;
  worker: EcosystemApp;
  /** The port the API apps listen on. */
  port: number;
}

export const DEFAULT_ECOSYSTEM = path.resolve(__dirname, '..', '..', 'ecosystem.config.js');

/**
 * Loads the ecosystem file as PM2 would, with `env` as the environment of `pm2 start` (the file reads
 * VOLUME_API_* from it). Fresh on every call: no require cache.
 */
export function loadEcosystem(file = DEFAULT_ECOSYSTEM, env: NodeJS.ProcessEnv = process.env): Ecosystem {
  const resolved = path.resolve(file);
  const saved = { ...process.env };
  // A copy first: `env` is often process.env itself, which the next line empties of VOLUME_API_*.
  const wanted = { ...env };
  try {
    for (const k of Object.keys(process.env)) if (k.startsWith('VOLUME_API_')) delete process.env[k];
    Object.assign(process.env, wanted);
    delete require.cache[require.resolve(resolved)];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded = require(resolved) as { apps: Omit<EcosystemApp, 'log_file'>[]; log_rotation: LogRotationPolicy };
    const apps: EcosystemApp[] = loaded.apps.map((a) => ({ ...a, log_file: appSettings(a).logFile }));
    const api = apps.find((a) => a.name === 'volume-api');
    const worker = apps.find((a) => a.name === 'volume-worker');
    if (!api || !worker) throw new Error(`${resolved} must define the apps volume-api and volume-worker`);
    return {
      file: resolved,
      dir: path.dirname(resolved),
      apps,
      log_rotation: loaded.log_rotation,
      api,
      worker,
      port: appSettings(api).port,
    };
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    delete require.cache[require.resolve(resolved)];
  }
}
