/*
 * Baselines of the benchmark, as a child process: a bare Node http server or a bare Restify route that
 * answers the read routes with the bodies captured from the real service (one volume; a detail list of
 * the task's volume count), serialized per request as the service does. Prints its port on stdout.
 *
 *   node --import tsx bench/baseline-server.ts node|restify BODIES.json
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const [kind, bodiesFile] = process.argv.slice(2);
const bodies = JSON.parse(fs.readFileSync(bodiesFile, 'utf8')) as { show: unknown; list: unknown };

function pick(url: string): unknown {
  const path = url.split('?')[0];
  if (path.endsWith('/volumes/detail')) return bodies.list;
  if (/\/volumes\/[^/]+$/.test(path)) return bodies.show;
  return undefined;
}

if (kind === 'node') {
  const server = http.createServer((req, res) => {
    const body = pick(req.url ?? '/');
    if (body === undefined) {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"itemNotFound":{"code":404}}');
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) }).end(text);
  });
  server.keepAliveTimeout = 75000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
} else if (kind === 'restify') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const restify = require('restify') as typeof import('restify');
  const server = restify.createServer({ name: 'baseline' });
  server.server.keepAliveTimeout = 75000;
  for (const p of ['/v3/volumes/detail']) {
    server.get(p, (_req, res, next) => {
      res.send(200, bodies.list);
      next();
    });
  }
  for (const p of ['/v3/volumes/:volume_id']) {
    server.get(p, (_req, res, next) => {
      res.send(200, bodies.show);
      next();
    });
  }
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
} else {
  process.stderr.write(`usage: baseline-server.ts node|restify BODIES.json\n`);
  process.exit(2);
}
