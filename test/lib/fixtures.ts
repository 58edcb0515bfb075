/*
 * Mocha global fixtures and root hooks for every run (loaded with `--require`, see .mocharc.json,
 * .mocharc.functional.json and scripts/test-all.sh). With `mocha --parallel` the global fixtures run
 * once, in the main process, before the worker processes are forked (they inherit the environment set
 * here); the root hooks run around each test file in its worker.
 *
 * - A shared directory for the run (VOLUME_API_TEST_SHARED_DIR), where test/lib/keystone.ts makes the
 *   bootstrapped Keystone state once for all processes of the run.
 * - One throwaway PostgreSQL cluster for the run (test/lib/postgres.ts, VOLUME_API_TEST_PG_SHARED),
 *   shared by every file and worker; each test server still gets its own fresh database. Not started
 *   when PostgreSQL is not installed (the PostgreSQL tests then skip, or fail under CI=true), nor with
 *   VOLUME_API_TEST_SHARED_PG=0.
 * - With VOLUME_API_TEST_TIMINGS=<file>: one line per test file (its wall time in ms, a tab, the file)
 *   appended to that file, for scripts/test-all.sh's timing table.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Context } from 'mocha';
import { SHARED_DIR_ENV } from './keystone';
import { SHARED_CLUSTER_ENV, postgresMissing, startCluster, stopCluster } from './postgres';

let ownSharedDir: string | undefined;
let ownClusterDir: string | undefined;

export async function mochaGlobalSetup(): Promise<void> {
  if (!process.env[SHARED_DIR_ENV]) {
    ownSharedDir = fs.mkdtempSync(path.join(os.tmpdir(), 'volume-api-test-run-'));
    process.env[SHARED_DIR_ENV] = ownSharedDir;
  }
  if (!process.env[SHARED_CLUSTER_ENV] && process.env.VOLUME_API_TEST_SHARED_PG !== '0' && !postgresMissing()) {
    const cluster = await startCluster();
    ownClusterDir = cluster.dir;
    process.env[SHARED_CLUSTER_ENV] = JSON.stringify({ dir: cluster.dir, port: cluster.port });
  }
}

export async function mochaGlobalTeardown(): Promise<void> {
  if (ownClusterDir) {
    stopCluster(ownClusterDir);
    delete process.env[SHARED_CLUSTER_ENV];
    ownClusterDir = undefined;
  }
  if (ownSharedDir) {
    fs.rmSync(ownSharedDir, { recursive: true, force: true });
    delete process.env[SHARED_DIR_ENV];
    ownSharedDir = undefined;
  }
}

// Also when the run dies before its teardown (stopCluster is idempotent; the cluster is also stopped by
// test/lib/postgres.ts's own exit handler).
process.once('exit', () => {
  if (ownSharedDir) fs.rmSync(ownSharedDir, { recursive: true, force: true });
});

let fileStarted = 0;

export const mochaHooks = {
  beforeAll(): void {
    fileStarted = Date.now();
  },
  afterAll(this: Context): void {
    const out = process.env.VOLUME_API_TEST_TIMINGS;
    if (!out) return;
    const root = this.test?.parent;
    const files = [...new Set((root?.suites ?? []).map((s) => s.file).filter((f): f is string => !!f))].map((f) => path.relative(process.cwd(), f));
    if (files.length === 0) return;
    fs.appendFileSync(out, `${Date.now() - fileStarted}\t${files.length === 1 ? files[0] : `${files.length} files`}\n`);
  },
};
