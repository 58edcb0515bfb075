/*
 * Functional test (issue 15): the real `cinder` CLI (python-cinderclient 9.1.0) running an operator's
 * first commands against the service: service-list/enable/disable, get-pools, list-extensions, qos-*,
 * type-access-*, encryption-type-* (the suite and its helpers: test/lib/cinder-cli.ts).
 */
import { cinderSuite } from '../lib/cinder-cli';

cinderSuite(' (admin commands)', 'admin');
