/*
 * PM2 ecosystem: the single source of truth for process names, ports and log paths (deploy/ reads it).
 *
 * Today the service runs as one process that holds the API and the volume worker (src/standalone.ts),
 * so this file starts exactly that. The production layout (volume-api in cluster mode beside a separate
 * volume-worker, log rotation) replaces it with the PM2 issue.
 */
module.exports = {
  apps: [
    {
      name: 'volume-api',
      script: 'dist/standalone.js',
      exec_mode: 'fork',
      instances: 1,
      node_args: ['--enable-source-maps', '--disable-warning=DEP0111'],
      // The process says "ready" once the port is bound and the store is open.
      wait_ready: true,
      listen_timeout: 15000,
      // Graceful stop drains in-flight requests (src/lifecycle.ts) well within this.
      kill_timeout: 10000,
      env: {
        VOLUME_API_HOST: '0.0.0.0',
        VOLUME_API_PORT: '8776',
        VOLUME_API_DATA_DIR: './data',
      },
    },
  ],
};
