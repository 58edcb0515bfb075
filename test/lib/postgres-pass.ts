/*
 * Loaded with `--require` by the PostgreSQL pass of scripts/test-all.sh (issue 8): marks every top-level
 * suite title with [PostgreSQL], so the pass's output and its failures cannot be mistaken for the
 * SQLite pass's, and refuses to run without VOLUME_API_TEST_ENGINE=postgres.
 */
import type { Context } from 'mocha';

if (process.env.VOLUME_API_TEST_ENGINE !== 'postgres') {
  throw new Error('test/lib/postgres-pass.ts needs VOLUME_API_TEST_ENGINE=postgres');
}

export const mochaHooks = {
  // Root beforeAll runs before the reporter prints the first child suite's title.
  beforeAll(this: Context): void {
    for (const suite of this.test?.parent?.suites ?? []) suite.title = `[PostgreSQL] ${suite.title}`;
  },
};
