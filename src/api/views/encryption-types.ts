/*
 * Volume-type encryption views (cinder/api/contrib/volume_type_encryption.py). GET /encryption is the
 * whole row (with `deleted` and the timestamps) or `{}`; GET /encryption/{key} one of its keys. Create
 * answers with the fields sent plus the ids; update with the fields sent (key_size as a number).
 */
import type { EncryptionRow } from '../../db/admin-schema';
import { renderTimestamp } from '../../db/time';
import type { EncryptionSpecs } from '../../services/encryption-type-service';

export function encryptionSpecs(row: EncryptionRow | undefined): Record<string, unknown> {
  if (!row) return {};
  return {
    volume_type_id: row.volume_type_id,
    encryption_id: row.encryption_id,
    provider: row.provider,
    control_location: row.control_location,
    cipher: row.cipher,
    key_size: row.key_size,
    deleted: Boolean(row.deleted),
    created_at: renderTimestamp(row.created_at),
    updated_at: renderTimestamp(row.updated_at),
    deleted_at: renderTimestamp(row.deleted_at),
  };
}

export function created(sent: EncryptionSpecs, row: EncryptionRow): Record<string, unknown> {
  return { encryption: { ...sent, volume_type_id: row.volume_type_id, encryption_id: row.encryption_id } };
}

export function updated(sent: EncryptionSpecs): Record<string, unknown> {
  return { encryption: { ...sent } };
}
