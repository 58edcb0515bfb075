/* The package version (package.json), for `--version` of every command. */
import fs from 'node:fs';
import path from 'node:path';

/** From src/ (tsx) and from dist/ alike, package.json is one directory up. */
export const VERSION: string = (JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
