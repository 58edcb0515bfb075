/*
 * The optional `{project_id}` path segment: it must look like a Cinder project id (`[0-9a-f-]+`, else no
 * route matches: 404) and name the caller's project (else 400 "Malformed request url"), as Cinder checks.
 */
import type { Request, Response, Next } from 'restify';
import { BadRequestError, NotFoundError } from '../../errors';

const PROJECT_ID_RE = /^[0-9a-f-]+$/;

export function checkProjectPath() {
  return function checkPathProject(req: Request, _res: Response, next: Next): void {
    const pathProject = (req.params as Record<string, string | undefined>).project_id;
    if (pathProject === undefined) return next();
    if (!PROJECT_ID_RE.test(pathProject)) return next(new NotFoundError());
    if (pathProject !== req.context!.projectId) return next(new BadRequestError('Malformed request url'));
    next();
  };
}
