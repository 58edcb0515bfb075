/*
 * Volume type views. Cinder builds them in three places, so the key set depends on the route:
 * - show and list (cinder/api/v3/views/types.py): id, name, is_public, description, extra_specs (the
 *   user-visible ones for non-admins), qos_specs_id (admins); the type-access extension adds
 *   `os-volume-type-access:is_public` for admins and members, but not to GET /types/default (its
 *   resource cache is keyed by the real id);
 * - create (cinder/api/views/types.py, types_manage): id, name, is_public, extra_specs, description,
 *   plus the access key;
 * - update (same view, not extended): id, name, is_public, extra_specs, description.
 */
import { USER_VISIBLE_SPECS, type VolumeTypeWithSpecs } from '../../services/volume-type-service';
import type { ViewContext } from './view-context';

export type TypeRoute = 'show' | 'default' | 'create' | 'update';

export interface TypeViewOptions {
  route: TypeRoute;
  /** The caller may read `os-volume-type-access:is_public` (policy volume_extension:volume_type_access). */
  accessFlag: boolean;
}

function visibleSpecs(v: ViewContext, t: VolumeTypeWithSpecs): Record<string, string> {
  if (v.isAdmin) return t.extra_specs;
  return Object.fromEntries(Object.entries(t.extra_specs).filter(([k]) => USER_VISIBLE_SPECS.includes(k)));
}

export function volumeType(v: ViewContext, t: VolumeTypeWithSpecs, opts: TypeViewOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: t.id,
    name: t.name,
    is_public: Boolean(t.is_public),
    description: t.description,
    extra_specs: visibleSpecs(v, t),
  };
  const v3View = opts.route === 'show' || opts.route === 'default';
  if (v3View && v.isAdmin) out.qos_specs_id = t.qos_specs_id;
  if ((opts.route === 'show' || opts.route === 'create') && opts.accessFlag) out['os-volume-type-access:is_public'] = Boolean(t.is_public);
  return out;
}

export function volumeTypeList(v: ViewContext, types: VolumeTypeWithSpecs[], accessFlag: boolean): Record<string, unknown> {
  return { volume_types: types.map((t) => volumeType(v, t, { route: 'show', accessFlag })) };
}

/** GET /types/{id}/os-volume-type-access. */
export function typeAccessList(entries: { volume_type_id: string; project_id: string }[]): Record<string, unknown> {
  return { volume_type_access: entries.map((e) => ({ volume_type_id: e.volume_type_id, project_id: e.project_id })) };
}
