/*
 * Functional test: the real `cinder` CLI through each generated web-server front (the project's Apache
 * and nginx vhosts, real apache2 and nginx, test/lib/apache.ts, test/lib/nginx.ts): the smoke set
 * (create, list, show, extend, snapshot, delete) must look the same to a user as directly against the
 * API, where cinder-cli.test.ts and cinder-cli-more.test.ts run the whole suite. Both fronts serve the
 * API under /volume (devstack's `http://host/volume/v3`, issue 18): the CLI's endpoint is
 * `<front>/volume/v3`, and every link it follows comes from the API under that prefix. The root path
 * through each front is test/functional/apache.test.ts's and nginx.test.ts's.
 */
import { cinderSuite, underPrefix } from '../lib/cinder-cli';

cinderSuite(' through Apache under /volume', 'smoke', underPrefix('/volume', 'apache'));
cinderSuite(' through Nginx under /volume', 'smoke', underPrefix('/volume', 'nginx'));
