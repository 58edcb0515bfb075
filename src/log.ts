/*
 * Logging: one Bunyan logger per process, JSON on stdout (PM2 or the service manager captures and
 * rotates it). Request lines carry `req_id` (and `global_req_id` when the client sent one); worker lines
 * carry `op_id` and `volume_id`.
 */
import bunyan from 'bunyan';

export type Logger = bunyan;

export function createLogger(name: 'volume-api' | 'volume-worker', level: string, stream: NodeJS.WritableStream = process.stdout): Logger {
  return bunyan.createLogger({
    name,
    level: level as bunyan.LogLevel,
    stream,
    serializers: {
      err: bunyan.stdSerializers.err,
      req: (req: { method?: string; url?: string; headers?: Record<string, unknown>; socket?: { remoteAddress?: string } }) =>
        req && { method: req.method, url: req.url, remote_address: req.socket?.remoteAddress, user_agent: req.headers?.['user-agent'] },
    },
  });
}
