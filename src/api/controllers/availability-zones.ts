/* GET /os-availability-zone: this service's one zone (config storage_availability_zone). */
import type { Request, Response } from 'restify';
import type { ApiDeps } from '../deps';

export function availabilityZoneController(deps: ApiDeps) {
  return {
    async list(_req: Request, res: Response): Promise<void> {
      res.send(200, { availabilityZoneInfo: [{ zoneName: deps.config.storage_availability_zone, zoneState: { available: true } }] });
    },
  };
}
