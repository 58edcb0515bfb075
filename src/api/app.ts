/*
 * createApp: the Restify server with its pre/use chain and every route mounted. It never listens (the
 * entry points and tests do), so tests build exactly what production runs.
 *
 * Order: request id -> stop-draining header -> microversion -> public base URL -> (router) ->
 * Content-Type check -> body -> per route: name, auth, project path check, version gate, handler.
 * Responses and all errors go through the one JSON formatter (formatter.ts).
 */
import type { Request, Response, Next, Server, ServerOptions } from 'restify';
import restify from './restify';
import type { ApiDeps } from './deps';
import type { ApiMetrics } from '../metrics';
import { formatJson, formatText } from './formatter';
import { auditRequest } from './middleware/audit';
import { authenticate } from './middleware/auth';
import { baseUrl } from './middleware/base-url';
import { jsonBody, requireJsonContentType } from './middleware/body';
import { microversion, requireVersion } from './middleware/microversion';
import { checkProjectPath } from './middleware/project-path';
import { requestId } from './middleware/request-id';
import { apiRoutes, type RouteDef } from './routes';
import { listVersions, redirectToV3, showVersion } from './controllers/versions';
import { healthcheckController } from './controllers/healthcheck';
import './request';

export interface App {
  server: Server;
  routes: RouteDef[];
  /** Once set, every response says `Connection: close` (graceful stop; see lifecycle.ts). */
  setDraining(draining: boolean): void;
}

function named(name: string) {
  return function setRouteName(req: Request, _res: Response, next: Next): void {
    req.routeName = name;
    next();
  };
}

export function createApp(deps: ApiDeps, metrics?: ApiMetrics): App {
  const server = restify.createServer({
    name: 'volume-api',
    log: deps.log,
    handleUncaughtExceptions: false,
    formatters: { 'application/json': formatJson, 'text/plain': formatText },
    // find-my-way's default (100) would make a longer path segment a 404 before any handler can answer
    // Cinder's 400 (a 256-character quota class name, metadata key); Cinder has no such limit.
    maxParamLength: 4096,
  } as ServerOptions);
  let draining = false;

  server.pre(requestId());
  if (metrics) {
    server.pre(function countRequest(_req: Request, _res: Response, next: Next) {
      metrics.requestStarted();
      next();
    });
    server.on('after', (req: Request, res: Response) =>
      metrics.requestFinished(req.routeName ?? 'NotFound', req.method ?? 'GET', res.statusCode, Date.now() - req.time()),
    );
  }
  server.pre(function defaultHeaders(_req: Request, res: Response, next: Next) {
    // JSON unless a handler says otherwise, whatever the client's Accept header.
    res.setHeader('Content-Type', 'application/json');
    if (draining) res.setHeader('Connection', 'close');
    next();
  });
  server.pre(microversion());
  server.pre(baseUrl(deps.config));
  server.use(requireJsonContentType());
  server.use(jsonBody(deps.config.max_body_size));

  server.get({ path: '/', name: 'ListVersions' }, named('ListVersions'), listVersions);
  server.get({ path: '/v3', name: 'RedirectVersion' }, named('RedirectVersion'), redirectToV3);
  const health = healthcheckController(deps);
  server.get({ path: '/healthcheck', name: 'Healthcheck' }, named('Healthcheck'), health.check);
  server.head({ path: '/healthcheck', name: 'HealthcheckHead' }, named('Healthcheck'), health.check);
  // --- metrics (issue 18) ---
  const scrape = metrics?.scrape;
  if (scrape) {
    // Prometheus text, never authenticated (the web-server vhosts answer it 404 from outside).
    server.get({ path: '/metrics', name: 'Metrics' }, named('Metrics'), async (_req: Request, res: Response) => {
      const { contentType, body } = await scrape();
      res.setHeader('Content-Type', contentType);
      res.sendRaw(200, body);
    });
  }

  const auth = authenticate(deps.auth);
  const projectCheck = checkProjectPath();
  server.get({ path: '/v3/', name: 'ShowVersion' }, named('ShowVersion'), auth, showVersion);

  const routes = apiRoutes(deps);
  for (const route of routes) {
    const chain = [named(route.name), auth, projectCheck, ...(route.minVersion ? [requireVersion(route.minVersion)] : [])];
    const paths = route.projectPath === false ? [`/v3${route.path}`] : [`/v3${route.path}`, `/v3/:project_id${route.path}`];
    paths.forEach((path, i) => {
      server[route.method]({ path, name: `${route.name}${i === 0 ? '' : 'WithProject'}` }, ...chain, route.handler);
    });
  }

  server.on('after', auditRequest);

  return {
    server,
    routes,
    setDraining(value: boolean) {
      draining = value;
    },
  };
}
