import { expect } from 'chai';
import { startServer, type TestServer } from '../lib/server';

/** oslo.middleware's detailed healthcheck body, as our checks fill it. */
interface DetailedHealth {
  detailed: boolean;
  now: string;
  reasons: { reason: string; details: string; class: string }[];
}

describe('API: /healthcheck tells the truth (issue 18)', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(async () => {
    await s.close();
  });

  const health = (query = '', accept = 'text/plain') => s.request('GET', `/healthcheck${query}`, { token: null, headers: { Accept: accept } });

  it('answers 200 OK with every check passing, and the detailed body on ?detailed or Accept: application/json', async () => {
    expect(await health()).to.include({ status: 200, text: 'OK' });
    for (const r of [await health('?detailed'), await health('', 'application/json')]) {
      expect(r.status).to.equal(200);
      const body = r.body as DetailedHealth;
      expect(body.detailed).to.equal(true);
      expect(body.now).to.match(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
      expect(body.reasons.map((x) => x.class)).to.deep.equal(['StoreCheck', 'VolumeWorkerCheck', 'BackendSpaceCheck', 'OperationQueueCheck']);
      expect(body.reasons.every((x) => x.reason === 'OK')).to.equal(true);
      expect(body.reasons[1].details).to.match(/1 cinder-volume up/);
      expect(body.reasons[2].details).to.match(/GiB free in /);
    }
  });

  it('answers 503 when the volume worker stopped heartbeating (its services row older than service_down_time)', async () => {
    const p = await startServer();
    try {
      await p.worker.stop();
      await p.services.store.db.updateTable('services').set({ updated_at: '2020-01-01T00:00:00.000000' }).where('binary', '=', 'cinder-volume').execute();
      const text = await p.request('GET', '/healthcheck', { token: null, headers: { Accept: 'text/plain' } });
      expect(text).to.include({ status: 503, text: 'VOLUME WORKER DOWN' });
      const head = await p.request('HEAD', '/healthcheck', { token: null });
      expect(head.status).to.equal(503);
      const detailed = (await p.request('GET', '/healthcheck?detailed', { token: null })).body as DetailedHealth;
      const worker = detailed.reasons.find((x) => x.class === 'VolumeWorkerCheck')!;
      expect(worker.reason).to.equal('VOLUME WORKER DOWN');
      expect(worker.details).to.match(/^cinder-volume \S+@file: last heartbeat \d+ s ago \(service_down_time 60 s\)$/);
      // The balancer's view of this member (the store answers) stays healthy.
      expect((await p.request('GET', '/healthcheck?scope=instance', { token: null, headers: { Accept: 'text/plain' } })).status).to.equal(200);
    } finally {
      await p.close().catch(() => undefined);
    }
  });

  it('answers 503 when the backend has less free space than healthcheck.backend_min_free_gb', async () => {
    const p = await startServer({ healthcheck: { backend_min_free_gb: 1e9 } });
    try {
      const r = await p.request('GET', '/healthcheck', { token: null, headers: { Accept: 'text/plain' } });
      expect(r).to.include({ status: 503, text: 'BACKEND SPACE LOW' });
      const detailed = (await p.request('GET', '/healthcheck', { token: null })).body as DetailedHealth;
      expect(detailed.reasons.find((x) => x.class === 'BackendSpaceCheck')!.details).to.match(/GiB free in .*volumes \(backend_min_free_gb 1000000000\)$/);
    } finally {
      await p.close().catch(() => undefined);
    }
  });

  it('answers 503 when the oldest queued operation waits longer than healthcheck.max_queued_age_seconds', async () => {
    const p = await startServer({ healthcheck: { max_queued_age_seconds: 60 } });
    try {
      // The worker stops, its last heartbeat still recent (so only the queue fails); an operation queued two minutes ago.
      await p.worker.stop();
      const create = await p.request('POST', `/v3/${p.projectId}/volumes`, { body: { volume: { size: 1 } } });
      expect(create.status).to.equal(202);
      const old = new Date(Date.now() - 120_000).toISOString().replace('Z', '000');
      await p.services.store.db.updateTable('operations').set({ created_at: old }).execute();
      const r = await p.request('GET', '/healthcheck', { token: null, headers: { Accept: 'text/plain' } });
      expect(r).to.include({ status: 503, text: 'OPERATION QUEUE STUCK' });
    } finally {
      await p.close().catch(() => undefined);
    }
  });
});
