/*
 * Writes docs/configuration.md from ConfigSchema, so the documented keys, types, defaults and
 * environment names are the ones the code reads. `npm run docs:config` rewrites it; a unit test fails
 * when the file is out of date.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Kind, type TSchema } from '@sinclair/typebox';
import { CONFIG_KEYS, envName } from '../src/config';

function typeOf(schema: TSchema): string {
  if (schema[Kind] === 'Union') return (schema.anyOf as TSchema[]).map((s) => `\`${JSON.stringify(s.const)}\``).join(' \\| ');
  if (schema[Kind] === 'Array') return 'list of strings';
  if (schema[Kind] === 'Record') return 'object by name';
  if (schema[Kind] === 'Integer') {
    const range = [schema.minimum !== undefined ? `≥ ${schema.minimum}` : '', schema.maximum !== undefined ? `≤ ${schema.maximum}` : '']
      .filter(Boolean)
      .join(', ');
    return range ? `integer (${range})` : 'integer';
  }
  return String(schema.type ?? schema[Kind]).toLowerCase();
}

function defaultOf(schema: TSchema): string {
  const d = schema.default;
  if (d === '' || d === undefined) return '(empty)';
  if (Array.isArray(d)) return d.length === 0 ? '(empty)' : `\`${d.join(',')}\``;
  return `\`${typeof d === 'object' ? JSON.stringify(d) : String(d)}\``;
}

export function renderConfigDoc(): string {
  const rows = CONFIG_KEYS.map(
    (k) =>
      `| \`${k.path.join('.')}\` | ${typeOf(k.schema)} | ${defaultOf(k.schema)} | \`${envName(k.path)}\` | ${String(k.schema.description ?? '').replace(/\|/g, '\\|')} |`,
  );
  return `# Configuration

<!-- Generated from src/config.ts by \`npm run docs:config\`; edit the schema there, not this file. -->

Every process (\`npm start\`, and later the PM2 apps) reads one configuration:

1. built-in defaults (below);
2. then an optional JSON file, given as \`--config FILE\` or \`VOLUME_API_CONFIG=FILE\`, holding any subset
   of the keys, nested as their dots show (\`{"auth": {"strategy": "noauth"}, "quota": {"volumes": 20}}\`);
3. then environment variables: a key's path upper-cased and joined by \`_\` behind \`VOLUME_API_\`
   (\`quota.volumes\` is \`VOLUME_API_QUOTA_VOLUMES\`). Lists are comma-separated.

The result is validated at start. A bad value stops the process with exit code 2 and a message naming the
key, its environment variable and the value, e.g.
\`volume-api: invalid configuration: port (env VOLUME_API_PORT) = "eighty": must be integer\`.
Unknown keys in the file are refused the same way. Relative paths are resolved against the working
directory. \`node dist/config.js [--config FILE]\` prints the effective configuration.

| key | type | default | environment variable | meaning |
| --- | --- | --- | --- | --- |
${rows.join('\n')}

An example file with every key at its default is \`etc/volume-api.example.json\`.
`;
}

export function renderExampleConfig(): string {
  const out: Record<string, unknown> = {};
  for (const k of CONFIG_KEYS) {
    let node = out;
    for (const p of k.path.slice(0, -1)) node = (node[p] ??= {}) as Record<string, unknown>;
    node[k.path[k.path.length - 1]] = k.schema.default;
  }
  return `${JSON.stringify(out, null, 2)}\n`;
}

if (require.main === module) {
  const root = path.resolve(__dirname, '..');
  fs.writeFileSync(path.join(root, 'docs', 'configuration.md'), renderConfigDoc());
  fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc', 'volume-api.example.json'), renderExampleConfig());
  process.stdout.write('wrote docs/configuration.md and etc/volume-api.example.json\n');
}
