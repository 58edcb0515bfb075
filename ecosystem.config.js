/*
 * PM2 ecosystem: the single source of truth for the production processes on one host.
 *
 *   pm2 start ecosystem.config.js --env production
 *
 * - `volume-api`: the API (src/server.ts) in cluster mode, VOLUME_API_INSTANCES instances (default: one
 *   per CPU core) sharing one port;
 * - `volume-worker`: the operation loop (src/worker.ts), one process in fork mode.
 *
 * Hosts override without editing this file: VOLUME_API_PORT, VOLUME_API_DATA_DIR, VOLUME_API_DATABASE_URL,
 * VOLUME_API_LOG_LEVEL, VOLUME_API_INSTANCES, VOLUME_API_LOG_DIR and any other VOLUME_API_* key are read
 * from the environment of `pm2 start` (PM2 also passes that environment to the apps).
 *
 * Other tooling (log rotation setup, upgrade, the web-server generators, the benchmark) reads this file
 * through deploy/lib/ecosystem.ts, so nothing repeats the app names, the port or the log paths.
 */
const os = require('node:os');
const path = require('node:path');

const env = process.env;
const port = env.VOLUME_API_PORT || '8776';
const logDir = path.resolve(__dirname, env.VOLUME_API_LOG_DIR || 'logs');
const instances = Number(env.VOLUME_API_INSTANCES || os.cpus().length || 2);

/** An app's environment; the environment of `pm2 start` wins where it sets a key. */
function appEnv(logFile) {
  const base = {
    // The app writes its JSON log itself, so rotation can rename + reopen losslessly (docs/operations.md).
    VOLUME_API_LOG_FILE: path.join(logDir, logFile),
    VOLUME_API_PORT: port,
    VOLUME_API_DATA_DIR: env.VOLUME_API_DATA_DIR || './data',
    VOLUME_API_LOG_LEVEL: env.VOLUME_API_LOG_LEVEL || 'info',
    // stdout (`pm2 logs`) only for warnings and errors: each stdout line is an IPC message to the PM2
    // daemon, which cost more CPU than the request it logs. The full log is the file above.
    VOLUME_API_LOG_STDOUT_LEVEL: env.VOLUME_API_LOG_STDOUT_LEVEL || 'warn',
    // The API wakes the worker through a watched file in the data dir (src/worker/wake-signal.ts); polling
    // the shared store is the fallback.
    VOLUME_API_WORKER_POLL_INTERVAL_MS: env.VOLUME_API_WORKER_POLL_INTERVAL_MS || '250',
  };
  if (env.VOLUME_API_DATABASE_URL) base.VOLUME_API_DATABASE_URL = env.VOLUME_API_DATABASE_URL;
  return base;
}

const common = {
  cwd: __dirname,
  node_args: ['--enable-source-maps'],
  // One file per app whatever the instance count. stdout goes to PM2's bus only (`pm2 logs` shows it):
  // the app writes the same lines to VOLUME_API_LOG_FILE itself, which PM2 cannot reopen without loss.
  merge_logs: true,
  out_file: '/dev/null',
  // Lines are Bunyan JSON with their own `time`; a PM2 prefix would break `pm2 logs | bunyan`.
  time: false,
  autorestart: true,
  min_uptime: 5000,
  max_restarts: 16,
  exp_backoff_restart_delay: 100,
  // --- PM2 agent (issue 18) --- No transaction tracing (PM2's OpenTelemetry, not installed); the apps
  // set the rest of the injected @pm2/io agent themselves (src/metrics.ts: tracing and its metrics off).
  trace: false,
  disable_trace: true,
};

module.exports = {
  apps: [
    {
      ...common,
      name: 'volume-api',
      script: 'dist/server.js',
      exec_mode: 'cluster',
      instances,
      // "ready" is sent once the port is bound and the store is open.
      wait_ready: true,
      listen_timeout: 15000,
      // Graceful stop: 1 s of Connection: close, then close; well within this.
      kill_timeout: 8000,
      max_memory_restart: env.VOLUME_API_MAX_MEMORY || '300M',
      error_file: path.join(logDir, 'volume-api.error.log'),
      env: appEnv('volume-api.log'),
      env_production: { ...appEnv('volume-api.log'), NODE_ENV: 'production' },
    },
    {
      ...common,
      name: 'volume-worker',
      script: 'dist/worker.js',
      exec_mode: 'fork',
      instances: 1,
      wait_ready: true,
      listen_timeout: 15000,
      // On stop the worker finishes its operation or hands its lease back before this.
      kill_timeout: 10000,
      max_memory_restart: env.VOLUME_API_WORKER_MAX_MEMORY || '300M',
      error_file: path.join(logDir, 'volume-worker.error.log'),
      env: appEnv('volume-worker.log'),
      env_production: { ...appEnv('volume-worker.log'), NODE_ENV: 'production' },
    },
  ],

  /*
   * Log rotation policy, applied by `npm run logrotate:setup` (deploy/scripts/logrotate.ts) as a
   * logrotate(8) configuration that renames the files and then runs `pm2 trigger <app> logs:reopen`:
   * lossless, unlike pm2-logrotate's copy-then-truncate and PM2's own `reloadLogs` (both lose lines
   * under load, measured: docs/operations.md).
   */
  log_rotation: {
    max_size: env.VOLUME_API_LOG_MAX_SIZE || '50M',
    retain: Number(env.VOLUME_API_LOG_RETAIN || 14),
    compress: true,
    interval: 'daily',
  },
};
