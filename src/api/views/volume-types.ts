/* Volume type views (cinder/api/views/types.py plus the type-access extension key). */
import { USER_VISIBLE_SPECS, type VolumeTypeWithSpecs } from '../../services/volume-type-service';
import type { ViewContext } from './view-context';

export function volumeType(v: ViewContext, t: VolumeTypeWithSpecs): Record<string, unknown> {
  const specs = v.isAdmin ? t.extra_specs : Object.fromEntries(Object.entries(t.extra_specs).filter(([k]) => USER_VISIBLE_SPECS.includes(k)));
  const out: Record<string, unknown> = {
    id: t.id,
    name: t.name,
    description: t.description,
    is_public: Boolean(t.is_public),
    extra_specs: specs,
  };
  if (v.isAdmin) out.qos_specs_id = null;
  out['os-volume-type-access:is_public'] = Boolean(t.is_public);
  return out;
}

export function volumeTypeList(v: ViewContext, types: VolumeTypeWithSpecs[]): Record<string, unknown> {
  return { volume_types: types.map((t) => volumeType(v, t)) };
}
