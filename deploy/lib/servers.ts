/*
 * The web servers the deploy CLI knows, by name: `volume-api-deploy apache|nginx ...`,
 * `install apache|nginx`, `host-setup --mode apache|nginx`.
 */
import { apache } from './apache';
import { nginx } from './nginx';
import type { WebServer } from './webserver';

export type ServerName = WebServer['name'];

export const SERVER_NAMES: readonly ServerName[] = ['apache', 'nginx'];

export const servers: Record<ServerName, WebServer> = { apache, nginx };

export function isServerName(name: string): name is ServerName {
  return (SERVER_NAMES as readonly string[]).includes(name);
}
