import { expect } from 'chai';
import { sample } from '../lib/prometheus';
import { startServer, type TestServer } from '../lib/server';

describe('API: Prometheus /metrics (issue 18)', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(async () => {
    await s.close();
  });

  it('counts requests by route and status, with latency, operations, the queue, heartbeats, the pool and process metrics', async () => {
    for (let i = 0; i < 3; i++) expect((await s.request('GET', `/v3/${s.projectId}/volumes`)).status).to.equal(200);
    expect((await s.request('GET', `/v3/${s.projectId}/volumes/nope`)).status).to.equal(404);
    const created = await s.request('POST', `/v3/${s.projectId}/volumes`, { body: { volume: { size: 1 } } });
    await s.waitForVolume(created.body.volume.id, ['available']);
    const r = await s.request('GET', '/metrics', { token: null, headers: { Accept: 'text/plain' } });
    expect(r.status).to.equal(200);
    expect(r.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
    const t = r.text;
    expect(sample(t, 'volume_api_http_requests_total', { route: 'ListVolumes', method: 'GET', status: '200' })).to.equal(3);
    expect(sample(t, 'volume_api_http_requests_total', { route: 'GetVolume', method: 'GET', status: '404' })).to.equal(1);
    expect(sample(t, 'volume_api_http_request_duration_seconds_count', { route: 'ListVolumes', method: 'GET' })).to.equal(3);
    expect(sample(t, 'volume_api_http_requests_in_flight')).to.equal(1); // this scrape
    expect(sample(t, 'volume_api_operations', { kind: 'create_volume', state: 'succeeded' })).to.equal(1);
    expect(sample(t, 'volume_api_operation_queue_depth')).to.equal(0);
    expect(sample(t, 'volume_api_operation_queue_oldest_age_seconds')).to.equal(0);
    expect(sample(t, 'volume_api_service_up', { binary: 'cinder-volume' })).to.equal(1);
    expect(sample(t, 'volume_api_service_heartbeat_age_seconds', { binary: 'cinder-volume' })).to.be.at.most(60);
    expect(sample(t, 'volume_api_store_pool_connections', { state: 'total' })).to.be.at.least(1);
    expect(sample(t, 'process_resident_memory_bytes')).to.be.greaterThan(0);
    expect(sample(t, 'volume_api_metrics_processes')).to.equal(1);
  });
});
