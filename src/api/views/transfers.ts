/*
 * Transfer views (cinder/api/views/transfers.py). Summary: id, volume_id, name, links (list items and the
 * accept response). Detail: + created_at; + no_snapshots (3.55); + destination_project_id,
 * source_project_id, accepted (3.57). Create: detail + auth_key. Links always name the legacy
 * collection `os-volume-transfer`, on both paths; so does a list's next link (without /detail).
 */
import { renderTimestamp } from '../../db/time';
import type { TransferRecord } from '../../services/transfer-service';
import { MV } from '../microversions';
import { nextLinks, resourceLinks, type ViewContext } from './view-context';

export const TRANSFER_COLLECTION = 'os-volume-transfer';

export function summary(v: ViewContext, r: TransferRecord): Record<string, unknown> {
  return { id: r.row.id, volume_id: r.row.volume_id, name: r.row.name, links: resourceLinks(v, TRANSFER_COLLECTION, r.row.id) };
}

export function detail(v: ViewContext, r: TransferRecord): Record<string, unknown> {
  const row = r.row;
  const out: Record<string, unknown> = {
    id: row.id,
    created_at: renderTimestamp(row.created_at),
    name: row.name,
    volume_id: row.volume_id,
    links: resourceLinks(v, TRANSFER_COLLECTION, row.id),
  };
  if (v.version.atLeast(MV.TRANSFER_WITH_SNAPSHOTS)) out.no_snapshots = Boolean(row.no_snapshots);
  if (v.version.atLeast(MV.TRANSFER_WITH_HISTORY)) {
    out.destination_project_id = row.destination_project_id;
    out.source_project_id = row.source_project_id;
    out.accepted = Boolean(row.accepted);
  }
  return out;
}

export function create(v: ViewContext, r: TransferRecord): Record<string, unknown> {
  return { ...detail(v, r), auth_key: r.authKey };
}

export interface TransferListPage {
  records: TransferRecord[];
  limit: number;
  query: Record<string, string | string[] | undefined>;
}

function list(v: ViewContext, page: TransferListPage, item: (r: TransferRecord) => Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { transfers: page.records.map(item) };
  const links = nextLinks(
    v,
    TRANSFER_COLLECTION,
    page.query,
    page.records.map((r) => r.row),
    page.limit,
  );
  if (links) out.transfers_links = links;
  return out;
}

export function summaryList(v: ViewContext, page: TransferListPage): Record<string, unknown> {
  return list(v, page, (r) => summary(v, r));
}

export function detailList(v: ViewContext, page: TransferListPage): Record<string, unknown> {
  return list(v, page, (r) => detail(v, r));
}
