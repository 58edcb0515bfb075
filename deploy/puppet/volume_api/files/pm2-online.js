// Exit 0 when every app of the ecosystem (./ecosystem.config.js, cwd = the install dir) is online in the
// `pm2 jlist` read from stdin; 1 otherwise. The "already running" check of class volume_api::service, so
// that the app names come from the ecosystem, not from Puppet.
'use strict';
const path = require('node:path');
const text = require('node:fs').readFileSync(0, 'utf8');
let list;
try {
  // pm2 may print warnings before the JSON document.
  list = JSON.parse(text.slice(text.indexOf('[')));
} catch {
  process.exit(1);
}
const names = require(path.resolve('ecosystem.config.js')).apps.map((a) => a.name);
const online = names.every((n) => list.some((p) => p.name === n && p.pm2_env && p.pm2_env.status === 'online'));
process.exit(online ? 0 : 1);
