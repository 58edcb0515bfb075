/*
 * Metadata bodies and their ETag (3.15). Cinder's ETag is the unquoted MD5 of the JSON text as Python's
 * json.dumps writes it (", " and ": " separators, non-ASCII escaped, keys in insertion order); computing
 * it the same way keeps cinderclient's GET-then-PUT-with-If-Match flow working.
 */
import { createHash } from 'node:crypto';

function pythonJson(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${pythonJson(k)}: ${pythonJson(v)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(value);
}

export function metadataBody(metadata: Record<string, string>): { metadata: Record<string, string> } {
  return { metadata };
}

export function metadataEtag(metadata: Record<string, string>): string {
  return createHash('md5')
    .update(pythonJson(metadataBody(metadata)))
    .digest('hex');
}
