/*
 * Snapshots: create, list (summary, detail), show, update, delete, and POST /snapshots/{id}/action
 * (os-reset_status, os-force_delete, os-update_snapshot_status). Thin: validate, call, render.
 */
import type { Request, Response } from 'restify';
import { InvalidInputError } from '../../errors';
import { SNAPSHOT_SORT_COLUMNS } from '../../db/queries/snapshots';
import type { ApiDeps } from '../deps';
import { parseListParams } from '../list-params';
import { MV } from '../microversions';
import { ctxOf, param, queryOf, sendEmpty, viewOf, trimmed, actionName, noSuchAction } from '../request';
import { toBoolean } from '../schemas/parameter-types';
import { validateSnapshotCreate, validateSnapshotResetStatus, validateSnapshotUpdate, validateSnapshotUpdateStatus } from '../schemas/snapshots';
import * as view from '../views/snapshots';

/** Legacy and Cinder column names accepted as sort keys, and the key they mean. */
const SORT_ALIASES: Record<string, string> = { display_name: 'name', display_description: 'description', volume_size: 'size' };
const SORT_KEYS = [...SNAPSHOT_SORT_COLUMNS, ...Object.keys(SORT_ALIASES)];

export function snapshotController(deps: ApiDeps) {
  const maxLimit = deps.config.max_limit;

  async function list(req: Request, res: Response, render: typeof view.summaryList): Promise<void> {
    const query = queryOf(req);
    const version = req.apiVersion!;
    const params = parseListParams(query, version, maxLimit, SORT_KEYS);
    // `name` is a sort key from 3.30 (SNAPSHOT_SORT); `display_name` works at every version.
    if (!version.atLeast(MV.SNAPSHOT_SORT) && params.sort.some((s) => s.key === 'name')) throw new InvalidInputError('Invalid sort key');
    params.sort = params.sort.map((s) => ({ ...s, key: SORT_ALIASES[s.key] ?? s.key }));
    const result = await deps.snapshots.list(ctxOf(req), params, version);
    res.send(200, render(viewOf(req), { records: result.records, count: result.count, limit: params.limit, query }));
  }

  return {
    async create(req: Request, res: Response): Promise<void> {
      const { snapshot: s } = validateSnapshotCreate(req.body);
      const record = await deps.snapshots.create(
        ctxOf(req),
        {
          volumeId: s.volume_id,
          // `name` wins over the legacy `display_name`; the create schema has no `display_description`.
          name: trimmed(s.name !== undefined ? s.name : s.display_name),
          description: trimmed(s.description),
          metadata: s.metadata,
          force: s.force === undefined ? undefined : toBoolean(s.force),
        },
        req.apiVersion!,
      );
      res.send(202, { snapshot: view.detail(viewOf(req), record, { extended: false }) });
    },

    async listSummary(req: Request, res: Response): Promise<void> {
      await list(req, res, view.summaryList);
    },

    async listDetail(req: Request, res: Response): Promise<void> {
      await list(req, res, view.detailList);
    },

    async show(req: Request, res: Response): Promise<void> {
      const record = await deps.snapshots.get(ctxOf(req), param(req, 'snapshot_id'));
      res.send(200, { snapshot: view.detail(viewOf(req), record, { extended: true }) });
    },

    async update(req: Request, res: Response): Promise<void> {
      const { snapshot: s } = validateSnapshotUpdate(req.body);
      const record = await deps.snapshots.update(ctxOf(req), param(req, 'snapshot_id'), {
        name: trimmed(s.name !== undefined ? s.name : s.display_name),
        description: trimmed(s.description !== undefined ? s.description : s.display_description),
      });
      res.send(200, { snapshot: view.detail(viewOf(req), record, { extended: false }) });
    },

    async remove(req: Request, res: Response): Promise<void> {
      await deps.snapshots.delete(ctxOf(req), param(req, 'snapshot_id'));
      sendEmpty(res, 202);
    },

    async action(req: Request, res: Response): Promise<void> {
      const ctx = ctxOf(req);
      const id = param(req, 'snapshot_id');
      const name = actionName(req.body);
      switch (name) {
        case 'os-reset_status': {
          const { status } = validateSnapshotResetStatus(req.body);
          await deps.snapshots.resetStatus(ctx, id, status);
          break;
        }
        case 'os-force_delete':
          await deps.snapshots.delete(ctx, id, { force: true });
          break;
        case 'os-update_snapshot_status': {
          const { status, progress } = validateSnapshotUpdateStatus(req.body);
          await deps.snapshots.updateStatus(ctx, id, status, progress);
          break;
        }
        default:
          throw noSuchAction(name);
      }
      sendEmpty(res, 202);
    },
  };
}
