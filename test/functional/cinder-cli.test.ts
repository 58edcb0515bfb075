/*
 * Functional test: the real `cinder` CLI (python-cinderclient 9.1.0, Debian package python3-cinderclient)
 * against the real service started in-process, asserting on what a user sees (the suite and its helpers:
 * test/lib/cinder-cli.ts). This file: volume lifecycle, types, quotas, versions, errors, snapshots and
 * volume actions, directly against the API; cinder-cli-more.test.ts has the rest, and
 * cinder-cli-proxies.test.ts the smoke set through Apache and Nginx.
 */
import { cinderSuite } from '../lib/cinder-cli';

cinderSuite('', 'basics');
