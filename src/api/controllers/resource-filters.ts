/* GET /resource_filters (3.33): the filters each list accepts from any caller (cinder/api/v3/resource_filters.py). */
import type { Request, Response } from 'restify';
import { resourceFilters } from '../list-query';
import { queryOf } from '../request';
import { resourceFilterList } from '../views/resource-filters';

export function resourceFilterController() {
  return {
    async list(req: Request, res: Response): Promise<void> {
      res.send(200, resourceFilterList(resourceFilters(queryOf(req).resource)));
    },
  };
}
