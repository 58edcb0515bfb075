import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { CONFIG_KEYS, ConfigError, envName, loadConfig, sqlitePath } from '../../src/config';
import { tmpDir } from '../lib/server';

describe('config', () => {
  it('has the documented defaults: 127.0.0.1:8776, ./data, SQLite under the data dir, file backend, noauth', () => {
    const c = loadConfig({ argv: [], env: {}, cwd: '/srv/app' });
    expect(c.host).to.equal('127.0.0.1');
    expect(c.port).to.equal(8776);
    expect(c.data_dir).to.equal('/srv/app/data');
    expect(c.database_url).to.equal('sqlite:/srv/app/data/volume-api.sqlite');
    expect(c.backend).to.deep.equal({ name: 'file', path: '/srv/app/data/volumes' });
    expect(c.auth.strategy).to.equal('noauth');
    expect(c.quota.volumes).to.equal(10);
    expect(c.quota.gigabytes).to.equal(1000);
    expect(c.quota.per_volume_gigabytes).to.equal(-1);
    expect(c.max_body_size).to.equal(114688);
    expect(c.default_volume_type).to.equal('__DEFAULT__');
  });

  it('listens on loopback with noauth unless a host is set, on every address with keystone (issue 19)', () => {
    expect(loadConfig({ argv: [], env: { VOLUME_API_HOST: '0.0.0.0' } }).host).to.equal('0.0.0.0');
    const keystone = {
      VOLUME_API_AUTH_STRATEGY: 'keystone',
      VOLUME_API_AUTH_KEYSTONE_URL: 'http://ks:5000',
      VOLUME_API_AUTH_KEYSTONE_USERNAME: 'u',
      VOLUME_API_AUTH_KEYSTONE_PASSWORD: 'p',
    };
    expect(loadConfig({ argv: [], env: keystone }).host).to.equal('0.0.0.0');
    expect(loadConfig({ argv: [], env: { ...keystone, VOLUME_API_HOST: '10.0.0.5' } }).host).to.equal('10.0.0.5');
  });

  it('names every environment variable after its key path', () => {
    expect(envName(['auth', 'strategy'])).to.equal('VOLUME_API_AUTH_STRATEGY');
    expect(envName(['data_dir'])).to.equal('VOLUME_API_DATA_DIR');
    const names = CONFIG_KEYS.map((k) => envName(k.path));
    for (const required of ['VOLUME_API_HOST', 'VOLUME_API_PORT', 'VOLUME_API_DATA_DIR', 'VOLUME_API_DATABASE_URL', 'VOLUME_API_LOG_LEVEL']) {
      expect(names).to.include(required);
    }
    expect(new Set(names).size).to.equal(names.length);
  });

  it('takes environment variables over the file, and the file over defaults', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'c.json');
    fs.writeFileSync(file, JSON.stringify({ port: 9000, log_level: 'debug', quota: { volumes: 3 } }));
    const c = loadConfig({ argv: ['--config', file], env: { VOLUME_API_PORT: '9100', VOLUME_API_QUOTA_GIGABYTES: '50' }, cwd: dir });
    expect(c.port).to.equal(9100);
    expect(c.log_level).to.equal('debug');
    expect(c.quota.volumes).to.equal(3);
    expect(c.quota.gigabytes).to.equal(50);
    const viaEnv = loadConfig({ argv: [], env: { VOLUME_API_CONFIG: file }, cwd: dir });
    expect(viaEnv.port).to.equal(9000);
  });

  it('splits comma-separated lists from the environment', () => {
    const c = loadConfig({ argv: [], env: { VOLUME_API_TRUSTED_PROXIES: '10.0.0.1, 10.0.0.2' } });
    expect(c.trusted_proxies).to.deep.equal(['10.0.0.1', '10.0.0.2']);
  });

  it('rejects a bad value naming the key, its env var and the value', () => {
    expect(() => loadConfig({ argv: [], env: { VOLUME_API_PORT: 'eighty' } })).to.throw(ConfigError, /port \(env VOLUME_API_PORT\) = "eighty"/);
    expect(() => loadConfig({ argv: [], env: { VOLUME_API_PORT: '70000' } })).to.throw(ConfigError, /port .*70000/);
    expect(() => loadConfig({ argv: [], env: { VOLUME_API_AUTH_STRATEGY: 'magic' } })).to.throw(ConfigError, /auth\.strategy .*"magic"/);
    expect(() => loadConfig({ argv: [], env: { VOLUME_API_QUOTA_VOLUMES: '-5' } })).to.throw(ConfigError, /quota\.volumes .*-5/);
  });

  it('rejects unknown keys and unreadable or malformed files', () => {
    const dir = tmpDir();
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ prot: 1 }));
    expect(() => loadConfig({ argv: ['--config', bad], env: {} })).to.throw(ConfigError, /unknown key prot/);
    fs.writeFileSync(bad, '{not json');
    expect(() => loadConfig({ argv: ['--config', bad], env: {} })).to.throw(ConfigError, /not valid JSON/);
    expect(() => loadConfig({ argv: ['--config', path.join(dir, 'missing.json')], env: {} })).to.throw(ConfigError, /cannot read config file/);
  });

  it('parses sqlite database URLs and refuses other schemes', () => {
    expect(sqlitePath('sqlite:/var/lib/v.db')).to.equal('/var/lib/v.db');
    expect(sqlitePath('sqlite:///var/lib/v.db')).to.equal('/var/lib/v.db');
    expect(sqlitePath('/var/lib/v.db')).to.equal('/var/lib/v.db');
    expect(() => sqlitePath('mysql://x/y')).to.throw(ConfigError, /unsupported scheme/);
  });
});
