/*
 * os-services (issue 15): the processes heartbeat into the services table (worker: cinder-volume
 * `host@backend` and cinder-backup `host`; API: cinder-scheduler `host`), a service whose beats stop goes
 * `down`, enable/disable/freeze/thaw with Cinder's bodies, a disabled service takes no new work, and
 * set-log/get-log change and report the processes' log levels at run time.
 */
import { expect } from 'chai';
import os from 'node:os';
import { startServer, type TestServer } from '../lib/server';
import { logLevelName } from '../../src/log';

const HOST = os.hostname();
const VOLUME_HOST = `${HOST}@file`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Service {
  binary: string;
  host: string;
  state: string;
  status: string;
  updated_at: string;
  disabled_reason: string | null;
  [k: string]: unknown;
}

async function services(s: TestServer, query = '', mv = '3.0'): Promise<Service[]> {
  const r = await s.request('GET', `/v3/os-services${query}`, { mv });
  expect(r.status, r.text).to.equal(200);
  return r.body.services;
}

function byBinary(list: Service[], binary: string): Service {
  const found = list.find((x) => x.binary === binary);
  expect(found, `${binary} in ${JSON.stringify(list)}`).to.not.equal(undefined);
  return found!;
}

describe('API: os-services, heartbeats and log levels', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ service_report_interval: 1 }, { roleTokens: true });
  });
  after(async () => {
    await s.close();
  });

  it('lists the heartbeating services: cinder-volume host@backend, cinder-backup and cinder-scheduler on the host, up', async () => {
    const list = await services(s);
    expect(list.map((x) => [x.binary, x.host]).sort()).to.deep.equal(
      [
        ['cinder-backup', HOST],
        ['cinder-scheduler', HOST],
        ['cinder-volume', VOLUME_HOST],
      ].sort(),
    );
    // Cinder's keys (api-ref services-list-response.json), no cluster below 3.7.
    expect(Object.keys(byBinary(list, 'cinder-volume')).sort()).to.deep.equal(
      ['active_backend_id', 'binary', 'disabled_reason', 'frozen', 'host', 'replication_status', 'state', 'status', 'updated_at', 'zone'].sort(),
    );
    expect(Object.keys(byBinary(list, 'cinder-scheduler')).sort()).to.deep.equal(
      ['binary', 'disabled_reason', 'host', 'state', 'status', 'updated_at', 'zone'].sort(),
    );
    expect(byBinary(list, 'cinder-volume')).to.include({
      zone: 'nova',
      status: 'enabled',
      state: 'up',
      disabled_reason: null,
      frozen: false,
      replication_status: 'disabled',
    });
    for (const x of list) expect(x.updated_at).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$/);
    // 3.7: cluster; 3.49: backend_state of cinder-volume.
    expect(byBinary(await services(s, '', '3.7'), 'cinder-volume'))
      .to.include({ cluster: null })
      .and.not.have.property('backend_state');
    expect(byBinary(await services(s, '', '3.49'), 'cinder-volume')).to.include({ backend_state: 'up' });
    expect(byBinary(await services(s, '', '3.49'), 'cinder-scheduler')).to.not.have.property('backend_state');
  });

  it('beats every service_report_interval: updated_at moves on', async () => {
    const before = byBinary(await services(s), 'cinder-volume').updated_at;
    await sleep(1300);
    expect(byBinary(await services(s), 'cinder-volume').updated_at > before).to.equal(true);
  });

  it('filters by host (which also matches host@backend) and by binary', async () => {
    expect((await services(s, `?host=${HOST}`)).length).to.equal(3);
    expect((await services(s, `?host=${VOLUME_HOST}`)).map((x) => x.binary)).to.deep.equal(['cinder-volume']);
    expect((await services(s, `?host=${HOST}&binary=cinder-volume`)).map((x) => x.host)).to.deep.equal([VOLUME_HOST]);
    expect(await services(s, '?host=elsewhere')).to.deep.equal([]);
  });

  it('is admin-only (403 for a member), as cinder/policies/services.py', async () => {
    const member = { token: `member:${s.projectId}` };
    for (const [method, url, body] of [
      ['GET', '/v3/os-services', undefined],
      ['PUT', '/v3/os-services/disable', { host: HOST, binary: 'cinder-volume' }],
      ['PUT', '/v3/os-services/nonsense', {}],
    ] as const) {
      const r = await s.request(method, url, { ...member, body });
      expect(r.status, url).to.equal(403);
      expect(r.body).to.deep.equal({ forbidden: { code: 403, message: 'Policy does not allow this operation to be performed.' } });
    }
  });

  it('disables with a reason and enables again, with the bodies of the api-ref samples', async () => {
    const reason = await s.request('PUT', '/v3/os-services/disable-log-reason', {
      body: { host: VOLUME_HOST, binary: 'cinder-volume', disabled_reason: 'test' },
    });
    expect(reason.status).to.equal(200);
    expect(reason.body).to.deep.equal({ disabled: true, status: 'disabled', host: VOLUME_HOST, service: '', binary: 'cinder-volume', disabled_reason: 'test' });
    expect(byBinary(await services(s), 'cinder-volume')).to.include({ status: 'disabled', disabled_reason: 'test', state: 'up' });
    const enabled = await s.request('PUT', '/v3/os-services/enable', { body: { host: VOLUME_HOST, binary: 'cinder-volume' } });
    expect(enabled.body).to.deep.equal({ disabled: false, status: 'enabled', host: VOLUME_HOST, service: '', binary: 'cinder-volume', disabled_reason: null });
    expect(byBinary(await services(s), 'cinder-volume')).to.include({ status: 'enabled', disabled_reason: null });
    // Plain disable (the deprecated `service` key works too): no disabled_reason in the answer.
    const disabled = await s.request('PUT', '/v3/os-services/disable', { body: { host: HOST, service: 'cinder-backup' } });
    expect(disabled.body).to.deep.equal({ disabled: true, status: 'disabled', host: HOST, service: 'cinder-backup', binary: '' });
    expect(byBinary(await services(s), 'cinder-backup').status).to.equal('disabled');
    await s.request('PUT', '/v3/os-services/enable', { body: { host: HOST, binary: 'cinder-backup' } });
  });

  it('refuses unknown hosts and binaries (404), a null reason and unknown actions (400)', async () => {
    const host = await s.request('PUT', '/v3/os-services/enable', { body: { host: 'invalid_host', binary: 'cinder-volume' } });
    expect(host.status).to.equal(404);
    expect(host.body).to.deep.equal({ itemNotFound: { code: 404, message: 'Service cinder-volume could not be found on host invalid_host.' } });
    expect((await s.request('PUT', '/v3/os-services/disable', { body: { host: VOLUME_HOST, binary: 'invalid_binary' } })).status).to.equal(404);
    const noReason = await s.request('PUT', '/v3/os-services/disable-log-reason', {
      body: { host: VOLUME_HOST, binary: 'cinder-volume', disabled_reason: null },
    });
    expect(noReason.status).to.equal(400);
    expect(noReason.body.badRequest.message).to.equal("Invalid input for field/attribute disabled_reason. Value: None. None is not of type 'string'");
    const noHost = await s.request('PUT', '/v3/os-services/enable', { body: { binary: 'cinder-volume' } });
    expect(noHost.body).to.deep.equal({ badRequest: { code: 400, message: 'Invalid input received: Host field is missing.' } });
    const unknown = await s.request('PUT', '/v3/os-services/reboot', { body: {} });
    expect(unknown.body).to.deep.equal({ badRequest: { code: 400, message: 'Invalid input received: Unknown action' } });
    // set-log and get-log exist from 3.32 only.
    expect((await s.request('PUT', '/v3/os-services/get-log', { body: {}, mv: '3.31' })).body.badRequest.message).to.equal(
      'Invalid input received: Unknown action',
    );
  });

  it('freezes (frozen and disabled, reason "frozen") and thaws a backend; 400 for an unknown host or a second freeze', async () => {
    const invalid = await s.request('PUT', '/v3/os-services/freeze', { body: { host: 'invalid_host' } });
    expect(invalid.body).to.deep.equal({ badRequest: { code: 400, message: 'No service found with host=invalid_host' } });
    expect((await s.request('PUT', '/v3/os-services/thaw', { body: { host: 'invalid_host' } })).status).to.equal(400);
    const freeze = await s.request('PUT', '/v3/os-services/freeze', { body: { host: VOLUME_HOST } });
    expect(freeze.status).to.equal(200);
    expect(freeze.text).to.equal('');
    expect(byBinary(await services(s), 'cinder-volume')).to.include({ frozen: true, status: 'disabled', disabled_reason: 'frozen' });
    const again = await s.request('PUT', '/v3/os-services/freeze', { body: { host: VOLUME_HOST } });
    expect(again.body.badRequest.message).to.equal(
      `Invalid input received: No service could be changed: frozen in ['${VOLUME_HOST}'] must be False to failover.`,
    );
    expect((await s.request('PUT', '/v3/os-services/thaw', { body: { host: VOLUME_HOST } })).status).to.equal(200);
    expect(byBinary(await services(s), 'cinder-volume')).to.include({ frozen: false, status: 'enabled' });
    // 3.26: host or cluster, exactly one.
    const both = await s.request('PUT', '/v3/os-services/freeze', { body: { host: VOLUME_HOST, cluster: 'c' }, mv: '3.26' });
    expect(both.body.badRequest.message).to.equal('Invalid input received: One and only one of cluster and host must be set.');
  });

  it('gives a disabled cinder-volume no new volume: the scheduler finds no backend, and its worker claims no untargeted create', async () => {
    await s.request('PUT', '/v3/os-services/disable', { body: { host: VOLUME_HOST, binary: 'cinder-volume' } });
    try {
      const created = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1, name: 'while-disabled' } } });
      expect(created.status).to.equal(202);
      const v = await s.waitForVolume(created.body.volume.id, ['error', 'available']);
      expect(v.body.volume.status).to.equal('error');
      expect(v.body.volume['os-vol-host-attr:host']).to.equal(null);
      const messages = await s.request('GET', `/v3/messages?resource_uuid=${created.body.volume.id}`, { mv: '3.5' });
      expect(messages.body.messages.map((m: { event_id: string; user_message: string }) => [m.event_id, m.user_message])).to.deep.equal([
        ['VOLUME_VOLUME_001_003', 'schedule allocate volume:Could not find any available weighted backend.'],
      ]);
    } finally {
      await s.request('PUT', '/v3/os-services/enable', { body: { host: VOLUME_HOST, binary: 'cinder-volume' } });
    }
  });

  it('set-log changes a process log level at run time, get-log reports it (3.32)', async () => {
    expect(logLevelName(s.services.log)).to.equal('INFO');
    const bad = await s.request('PUT', '/v3/os-services/set-log', { body: { level: 'LOUD' }, mv: '3.32' });
    expect(bad.body).to.deep.equal({ badRequest: { code: 400, message: 'Invalid input received: LOUD is not a valid log level.' } });

    const set = await s.request('PUT', '/v3/os-services/set-log', { body: { binary: 'cinder-api', level: 'debug' }, mv: '3.32' });
    expect(set.status).to.equal(202);
    expect(logLevelName(s.services.log)).to.equal('DEBUG');
    const api = await s.request('PUT', '/v3/os-services/get-log', { body: { binary: 'cinder-api' }, mv: '3.32' });
    expect(api.body).to.deep.equal({ log_levels: [{ binary: 'cinder-api', host: HOST, levels: { 'volume-api': 'DEBUG' } }] });

    await s.request('PUT', '/v3/os-services/set-log', {
      body: { binary: 'cinder-volume', server: VOLUME_HOST, prefix: 'volume-worker', level: 'ERROR' },
      mv: '3.32',
    });
    const all = await s.request('PUT', '/v3/os-services/get-log', { body: { binary: '*' }, mv: '3.32' });
    const levels = Object.fromEntries(all.body.log_levels.map((e: { binary: string; levels: Record<string, string> }) => [e.binary, e.levels]));
    expect(levels).to.deep.equal({
      'cinder-api': { 'volume-api': 'DEBUG' },
      'cinder-scheduler': { 'volume-api': 'DEBUG' },
      'cinder-volume': { 'volume-worker': 'ERROR' },
      'cinder-backup': { 'volume-worker.backup': 'INFO' },
    });
    // A prefix selects loggers: the API's do not start with volume-worker.
    const prefixed = await s.request('PUT', '/v3/os-services/get-log', { body: { prefix: 'volume-worker' }, mv: '3.32' });
    const api2 = prefixed.body.log_levels.find((e: { binary: string }) => e.binary === 'cinder-api');
    expect(api2.levels).to.deep.equal({});

    await s.request('PUT', '/v3/os-services/set-log', { body: { level: 'INFO' }, mv: '3.32' });
    expect(logLevelName(s.services.log)).to.equal('INFO');
    const reset = await s.request('PUT', '/v3/os-services/get-log', { body: {}, mv: '3.32' });
    for (const e of reset.body.log_levels) for (const level of Object.values(e.levels)) expect(level).to.equal('INFO');
  });
});

describe('API: os-services state when heartbeats stop', () => {
  it('turns a service down once its beats are older than service_down_time; the others stay up', async () => {
    const s = await startServer({ service_report_interval: 1, service_down_time: 2 });
    try {
      expect(byBinary(await services(s), 'cinder-volume').state).to.equal('up');
      await s.worker.stop(); // the worker's heartbeat stops with it; the API's goes on
      const deadline = Date.now() + 6000;
      let list = await services(s);
      const workerUp = (l: Service[]) => byBinary(l, 'cinder-volume').state === 'up' || byBinary(l, 'cinder-backup').state === 'up';
      while (workerUp(list) && Date.now() < deadline) {
        await sleep(200);
        list = await services(s);
      }
      expect(byBinary(list, 'cinder-volume').state).to.equal('down');
      expect(byBinary(list, 'cinder-backup').state).to.equal('down');
      expect(byBinary(list, 'cinder-scheduler').state).to.equal('up');
      // os-hosts says the same.
      const hosts = (await s.request('GET', '/v3/os-hosts')).body.hosts;
      expect(hosts.find((h: { service: string }) => h.service === 'cinder-volume')['service-status']).to.equal('unavailable');
    } finally {
      await s.close();
    }
  });
});

describe('API: a disabled service takes no untargeted work', () => {
  it('the worker of a disabled cinder-volume leaves a queued create alone until it is enabled again', async () => {
    const s = await startServer();
    try {
      // The worker stops claiming (its row stays up for service_down_time). The scheduler targets creates
      // once services report; an untargeted one is what was queued before any had (a fresh store).
      await s.worker.stop();
      const created = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1, name: 'queued' } } });
      expect(created.status).to.equal(202);
      await s.services.store.db.updateTable('operations').set({ host: null, backend: null }).where('resource_id', '=', created.body.volume.id).execute();
      await s.request('PUT', '/v3/os-services/disable', { body: { host: VOLUME_HOST, binary: 'cinder-volume' } });
      expect(await s.worker.drain()).to.equal(0);
      expect((await s.request('GET', `/v3/volumes/${created.body.volume.id}`)).body.volume.status).to.equal('creating');
      await s.request('PUT', '/v3/os-services/enable', { body: { host: VOLUME_HOST, binary: 'cinder-volume' } });
      expect(await s.worker.drain()).to.equal(1);
      expect((await s.request('GET', `/v3/volumes/${created.body.volume.id}`)).body.volume.status).to.equal('available');
    } finally {
      await s.close();
    }
  });
});
