/*
 * The web servers the deploy CLI knows, by name: `volume-api-deploy apache|nginx ...`,
 * `install apache|nginx`, `host-setup --mode apache|nginx`.
 */
import { apache } from './apache';
import { nginx } from './nginx';
import type { ServerName, WebServer } from './webserver';

export const servers: Record<ServerName, WebServer> = { apache, nginx };
