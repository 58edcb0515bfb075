/*
 * Issue 19: a run of an operation is charged as an attempt only when the operation failed. Runs that end
 * with the worker dead under them (a lease that runs out while still owned) are interruptions: they do
 * not use up worker.max_attempts, and past worker.max_interruptions the operation ends in error with a
 * user message saying why. A stopping worker hands the operation back uncharged.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import { claimNextOperation, handBackOperation } from '../../src/db/queries/operations';
import { nowIso } from '../../src/db/time';
import { startServer, type TestServer } from '../lib/server';

/** A worker that claims the next operation and dies at once: its lease is already over. */
async function crashingRun(s: TestServer, n: number): Promise<void> {
  const lease = nowIso(new Date(Date.now() - 1000));
  const op = await claimNextOperation(s.services.store.db, `gone-host/${1000 + n}/x`, nowIso(), lease);
  expect(op, 'nothing to claim').to.not.equal(undefined);
}

/** The worker is not started in these tests (start makes the backend's directory). */
function backendDir(s: TestServer): void {
  fs.mkdirSync(s.config.backend.path, { recursive: true });
}

async function operationOf(s: TestServer, volumeId: string) {
  return s.services.store.db.selectFrom('operations').selectAll().where('resource_id', '=', volumeId).executeTakeFirstOrThrow();
}

describe('volume worker: attempts and interruptions (issue 19)', () => {
  it('four crashes in a row do not use up three attempts; the fifth run succeeds', async () => {
    const s = await startServer({ worker: { max_attempts: 3 } }, { worker: false });
    try {
      const v = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1 } } });
      for (let i = 0; i < 4; i++) await crashingRun(s, i);
      expect(await operationOf(s, v.body.volume.id)).to.include({ attempts: 1, interruptions: 3 });
      backendDir(s);
      expect(await s.worker.drain()).to.equal(1);
      expect((await s.request('GET', `/v3/volumes/${v.body.volume.id}`)).body.volume.status).to.equal('available');
      expect(await operationOf(s, v.body.volume.id)).to.include({ state: 'succeeded', attempts: 1, interruptions: 4 });
    } finally {
      await s.close();
    }
  });

  it('past worker.max_interruptions the operation ends in error and the user is told why', async () => {
    const s = await startServer({ worker: { max_interruptions: 2 } }, { worker: false });
    try {
      const v = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1 } } });
      for (let i = 0; i < 3; i++) await crashingRun(s, i);
      expect(await s.worker.drain()).to.equal(1);
      expect((await s.request('GET', `/v3/volumes/${v.body.volume.id}`)).body.volume.status).to.equal('error');
      const op = await operationOf(s, v.body.volume.id);
      expect(op).to.include({ state: 'failed', interruptions: 3 });
      expect(op.error).to.equal('interrupted 3 times: the worker process died while running it');
      const messages = await s.request('GET', '/v3/messages', { mv: '3.3' });
      const found = messages.body.messages.find((m: { resource_uuid: string }) => m.resource_uuid === v.body.volume.id);
      expect(found).to.include({
        event_id: 'VOLUME_VOLUME_001_103',
        user_message: 'schedule allocate volume:The operation was stopped too many times: the volume service kept stopping while it ran.',
      });
    } finally {
      await s.close();
    }
  });

  it('a run handed back by a stopping worker is neither an attempt nor an interruption', async () => {
    const s = await startServer({}, { worker: false });
    try {
      const v = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1 } } });
      const owner = 'stopping-host/1/x';
      const op = await claimNextOperation(s.services.store.db, owner, nowIso(), nowIso(new Date(Date.now() + 60000)));
      expect(op).to.include({ attempts: 1, interruptions: 0 });
      expect(await handBackOperation(s.services.store.db, op!.id, owner, nowIso())).to.equal(true);
      backendDir(s);
      expect(await s.worker.drain()).to.equal(1);
      expect(await operationOf(s, v.body.volume.id)).to.include({ state: 'succeeded', attempts: 1, interruptions: 0 });
    } finally {
      await s.close();
    }
  });
});
