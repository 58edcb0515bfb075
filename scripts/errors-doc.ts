/*
 * Writes the error-class table of docs/api.md (section 1.6, between the `errors:begin` / `errors:end`
 * markers) from API_ERROR_CATALOG in src/errors.ts, so the documented classes, codes and messages are
 * the ones the code raises. `npm run docs:errors` rewrites it; a unit test fails when it is out of date.
 */
import fs from 'node:fs';
import path from 'node:path';
import { API_ERROR_CATALOG } from '../src/errors';

const BEGIN = '<!-- errors:begin: generated from src/errors.ts API_ERROR_CATALOG by `npm run docs:errors` -->';
const END = '<!-- errors:end -->';
export const API_DOC = path.resolve(__dirname, '..', 'docs', 'api.md');

const cell = (text: string) => text.replace(/\|/g, '\\|');

export function renderErrorTable(): string {
  const rows = API_ERROR_CATALOG.map((e) => `| \`${e.name}\` | ${e.status} | \`${e.fault}\` | \`${cell(e.message)}\` | ${cell(e.description)} |`);
  return [BEGIN, '', '| error class | status | fault key | message | when |', '| --- | --- | --- | --- | --- |', ...rows, '', END].join('\n');
}

/** docs/api.md with its generated table replaced by the current one. */
export function withErrorTable(doc: string): string {
  const start = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/api.md has no ${BEGIN} ... ${END} block`);
  return doc.slice(0, start) + renderErrorTable() + doc.slice(end + END.length);
}

if (require.main === module) {
  fs.writeFileSync(API_DOC, withErrorTable(fs.readFileSync(API_DOC, 'utf8')));
  process.stdout.write('wrote the error table of docs/api.md\n');
}
