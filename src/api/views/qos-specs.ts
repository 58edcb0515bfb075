/*
 * QoS specs views (cinder/api/views/qos_specs.py): show and create are `{qos_specs, links}`; list items
 * carry no links, and the list has `qos_specs_links` (next) when a full page came back.
 */
import type { QosAssociation, QosSpecsRecord } from '../../services/qos-spec-service';
import { nextLinks, resourceLinks, type ViewContext } from './view-context';

function item(r: QosSpecsRecord): Record<string, unknown> {
  return { id: r.row.id, name: r.row.name, consumer: r.row.consumer, specs: { ...r.specs } };
}

export function detail(v: ViewContext, r: QosSpecsRecord): Record<string, unknown> {
  return { qos_specs: item(r), links: resourceLinks(v, 'qos-specs', r.row.id) };
}

export function list(v: ViewContext, page: { records: QosSpecsRecord[]; limit: number; query: Record<string, string> }): Record<string, unknown> {
  const out: Record<string, unknown> = { qos_specs: page.records.map(item) };
  const links = nextLinks(
    v,
    'qos-specs',
    page.query,
    page.records.map((r) => r.row),
    page.limit,
  );
  if (links) out.qos_specs_links = links;
  return out;
}

export function associations(entries: QosAssociation[]): Record<string, unknown> {
  return { qos_associations: entries.map((a) => ({ association_type: a.association_type, name: a.name, id: a.id })) };
}
