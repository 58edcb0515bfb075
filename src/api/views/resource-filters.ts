/* Resource filters view (cinder/api/v3/views/resource_filters.py). */
export function resourceFilterList(entries: readonly { resource: string; filters: readonly string[] }[]): Record<string, unknown> {
  return { resource_filters: entries.map((e) => ({ resource: e.resource, filters: [...e.filters] })) };
}
