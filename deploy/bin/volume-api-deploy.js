#!/usr/bin/env node
// volume-api-deploy: the deploy command line (deploy/lib/cli.ts, run through tsx). Reference: docs/deploy.md
'use strict';
require('tsx/cjs');
const { main } = require('../lib/cli.ts');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`volume-api-deploy: ${(err && err.stack) || err}\n`);
    process.exitCode = 1;
  },
);
