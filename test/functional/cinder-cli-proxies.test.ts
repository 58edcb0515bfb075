/*
 * Functional test: the real `cinder` CLI through each generated web-server front (the project's Apache
 * and nginx vhosts, real apache2 and nginx, test/lib/apache.ts, test/lib/nginx.ts): the smoke set
 * (create, list, show, extend, snapshot, delete) must look the same to a user as directly against the
 * API, where cinder-cli.test.ts and cinder-cli-more.test.ts run the whole suite.
 */
import { apacheFront, cinderSuite, nginxFront } from '../lib/cinder-cli';

cinderSuite(' through Apache', 'smoke', apacheFront);
cinderSuite(' through Nginx', 'smoke', nginxFront);
