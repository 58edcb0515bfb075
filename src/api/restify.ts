/*
 * The one place Restify is loaded (issue 18: no DEP0111 warning). restify/lib/server.js requires `spdy`
 * at load time for its optional `spdy` server option, which this service never uses; spdy's
 * http-deceiver calls the deprecated `process.binding('http_parser')` as it loads, hence the warning
 * (twice) on every start. Restify is loaded here with a stand-in for spdy in the require cache, so the
 * deprecated binding is never touched; creating a spdy server would throw.
 */
import Module from 'node:module';
import path from 'node:path';

const restifyDir = path.dirname(require.resolve('restify'));
const spdyPath = require.resolve('spdy', { paths: [restifyDir] });
if (!require.cache[spdyPath]) {
  const stub = new Module(spdyPath);
  stub.filename = spdyPath;
  stub.loaded = true;
  stub.exports = {
    createServer(): never {
      throw new Error('spdy servers are not supported (src/api/restify.ts)');
    },
  };
  require.cache[spdyPath] = stub;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const restify = require('restify') as typeof import('restify');

export default restify;
