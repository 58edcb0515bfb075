/* Version discovery: GET / (300, no auth), GET /v3 (302 to /v3/), GET /v3/ (200, authenticated). */
import type { Request, Response } from 'restify';
import { versions } from '../views/versions';

export async function listVersions(req: Request, res: Response): Promise<void> {
  res.send(300, versions(req.baseUrl!));
}

export async function redirectToV3(req: Request, res: Response): Promise<void> {
  res.setHeader('Location', `${req.baseUrl}/v3/`);
  res.send(302);
}

export async function showVersion(req: Request, res: Response): Promise<void> {
  res.send(200, versions(req.baseUrl!));
}
