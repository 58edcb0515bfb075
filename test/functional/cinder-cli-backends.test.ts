/*
 * Functional test (issue 16): the real `cinder` CLI (python-cinderclient 9.1.0) against a service with
 * two file backends: get-pools, retype --migration-policy on-demand and migrate between them, with the
 * data checked on the destination (the suite and its helpers: test/lib/cinder-cli.ts).
 */
import { cinderSuite } from '../lib/cinder-cli';

cinderSuite(' (two backends, migration)', 'backends');
