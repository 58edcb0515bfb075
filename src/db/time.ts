/*
 * Timestamps as Cinder writes them: naive UTC ISO-8601 with microseconds, no zone
 * ("2026-11-24T22:27:20.828225"). Stored fixed-width, so text order is time order on every engine;
 * rendered the way Python's isoformat() does (the fraction is left out when it is zero).
 */
export function nowIso(date: Date = new Date()): string {
  return date.toISOString().replace('Z', '000');
}

export function renderTimestamp(stored: string | null): string | null {
  if (stored === null) return null;
  return stored.replace(/\.0{6}$/, '');
}

/** Parses an ISO time a client sent (zone optional; UTC assumed) into the stored form, or null. */
export function parseClientTime(text: string): string | null {
  const withZone = /[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`;
  const ms = Date.parse(withZone);
  return Number.isNaN(ms) ? null : nowIso(new Date(ms));
}
