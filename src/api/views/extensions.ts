/* Extension views (cinder/api/extensions.py ExtensionsResource._translate): Cinder sends no links. */
import type { ApiExtension } from '../extensions';

function extension(e: ApiExtension): Record<string, unknown> {
  return { name: e.name, alias: e.alias, description: e.description, updated: e.updated, links: [] };
}

export function extensionList(extensions: readonly ApiExtension[]): Record<string, unknown> {
  return { extensions: extensions.map(extension) };
}

export function extensionShow(e: ApiExtension): Record<string, unknown> {
  return { extension: extension(e) };
}
