/*
 * The real Rally (Debian rally 3.3 + rally-openstack 2.2) through a real Keystone against volume-api in
 * PM2 mode behind the generated Apache vhost, with `auth.strategy = keystone`: Rally's
 * CinderVolumes.list_volumes, create_and_delete_volume and create_and_list_volume, 10 iterations at
 * concurrency 2 each, must pass with 0 failed iterations (SLA failure_rate max 0). This is what
 * `npm run rally -- --modes apache` does. Rally's HTML report is kept at artifacts/rally/report.html
 * (and its JSON beside it), the CI artifact path.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { parseRallyArgs, rallyModes } from '../../bench/rally';
import { missingRallyPackages, RALLY_SCENARIOS } from '../../bench/lib/rally';
import { missingKeystonePackages } from '../lib/keystone';
import { tmpDir } from '../lib/server';

const ARTIFACTS = path.resolve(__dirname, '..', '..', 'artifacts', 'rally');

describe('real Rally through Keystone against PM2 behind Apache', function () {
  this.timeout(15 * 60000);

  before(function () {
    const missing = [...missingKeystonePackages(), ...missingRallyPackages()];
    if (missing.length === 0) return;
    const msg = `Rally tests need the Debian packages ${missing.join(' ')}`;
    if (process.env.CI === 'true') throw new Error(`${msg} (required under CI=true)`);
    this.skip();
  });

  it('passes CinderVolumes list_volumes, create_and_delete_volume and create_and_list_volume with 0 failed iterations', async () => {
    const out = tmpDir('volume-api-rally-');
    const lines: string[] = [];
    try {
      const o = parseRallyArgs(['--modes', 'apache', '--times', '10', '--concurrency', '2', '--out', out, '--no-build']);
      const { results, failures } = await rallyModes(o, (l) => lines.push(l));
      const r = results.apache;
      expect(failures, lines.join('\n')).to.deep.equal([]);
      expect(r.iterations).to.equal(30);
      expect(r.failedIterations).to.equal(0);
      expect(r.slaPassed).to.equal(true);
      // Rally measured each scenario's atomic actions against us.
      const actions = r.rows.map((x) => `${x.scenario} ${x.action}`);
      for (const s of RALLY_SCENARIOS) expect(actions).to.include(`${s} total`);
      expect(actions).to.include.members([
        'CinderVolumes.create_and_delete_volume cinder_v3.create_volume',
        'CinderVolumes.create_and_delete_volume cinder_v3.delete_volume',
        'CinderVolumes.list_volumes cinder_v3.list_volumes',
      ]);
      for (const row of r.rows) expect(row.success, `${row.scenario} ${row.action}`).to.equal('100.0%');
      const html = fs.readFileSync(r.htmlReport, 'utf8');
      expect(html).to.contain('CinderVolumes.create_and_list_volume');
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      fs.copyFileSync(r.htmlReport, path.join(ARTIFACTS, 'report.html'));
      fs.copyFileSync(r.jsonReport, path.join(ARTIFACTS, 'report.json'));
      console.log(`      Rally report: ${path.join(ARTIFACTS, 'report.html')}`);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
