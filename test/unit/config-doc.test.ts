import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { renderConfigDoc, renderExampleConfig } from '../../scripts/config-doc';
import { API_DOC, withErrorTable } from '../../scripts/errors-doc';
import { API_ERROR_CATALOG } from '../../src/errors';
import { CONFIG_KEYS, envName, loadConfig } from '../../src/config';
import { tmpDir } from '../lib/server';

const ROOT = path.resolve(__dirname, '..', '..');

describe('configuration documentation', () => {
  it('docs/configuration.md is generated from the schema and up to date (npm run docs:config)', () => {
    expect(fs.readFileSync(path.join(ROOT, 'docs', 'configuration.md'), 'utf8')).to.equal(renderConfigDoc());
  });

  it('has a row per key with its environment variable', () => {
    const doc = renderConfigDoc();
    for (const k of CONFIG_KEYS)
      expect(doc)
        .to.contain(`| \`${k.path.join('.')}\` |`)
        .and.to.contain(`\`${envName(k.path)}\``);
  });

  it('the example file is current and loads as a valid configuration', () => {
    expect(fs.readFileSync(path.join(ROOT, 'etc', 'volume-api.example.json'), 'utf8')).to.equal(renderExampleConfig());
    const dir = tmpDir();
    const c = loadConfig({ argv: ['--config', path.join(ROOT, 'etc', 'volume-api.example.json')], env: {}, cwd: dir });
    expect(c.port).to.equal(8776);
  });
});

describe('error documentation', () => {
  it('docs/api.md carries the error table generated from API_ERROR_CATALOG, up to date (npm run docs:errors)', () => {
    const doc = fs.readFileSync(API_DOC, 'utf8');
    expect(withErrorTable(doc)).to.equal(doc);
    for (const e of API_ERROR_CATALOG) expect(doc).to.contain(`| \`${e.name}\` | ${e.status} | \`${e.fault}\` |`);
  });
});
