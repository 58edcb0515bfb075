/*
 * Functional test (issue 16): the real `cinder` CLI (python-cinderclient 9.1.0) managing generic volume
 * groups: group-type-*, group-type-key, group-specs-list, group-*, group-snapshot-*, group-create-from-src
 * and the reset-state commands (the suite and its helpers: test/lib/cinder-cli.ts).
 */
import { cinderSuite } from '../lib/cinder-cli';

cinderSuite(' (generic volume groups)', 'groups');
