/*
 * Functional test: the real `cinder` CLI against the real service (test/lib/cinder-cli.ts), second half:
 * attachments, user messages, cascade delete, transfers and backups, directly against the API.
 */
import { cinderSuite } from '../lib/cinder-cli';

cinderSuite('', 'more');
