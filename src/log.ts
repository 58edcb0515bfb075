/*
 * Logging: one Bunyan logger per process, JSON on stdout. Request lines carry `req_id` (and
 * `global_req_id` when the client sent one); worker lines carry `op_id` and the resource id.
 *
 * Config `log_stdout_level` limits what goes to stdout (the ecosystem keeps only warnings there, since
 * under PM2 each stdout line is an IPC message to the daemon).
 *
 * Config `log_format` (issue 18): stdout carries one human-readable line per record (`formatRecord`) on a
 * terminal or with `text`, Bunyan JSON otherwise or with `json`; the log file is always JSON.
 *
 * With config `log_file` the records also go to that file, through a stream that can be reopened
 * (`reopenLogFiles`, on SIGUSR2 or PM2's `pm2 trigger <app> logs:reopen`). Rotation is then: rename the
 * file, ask for a reopen. Writes before the reopen land in the renamed file, writes after it in the new
 * one, none are lost: the old stream is ended (flushed) only after the new one takes over. Several
 * processes may append to one file: each record is one write to an O_APPEND descriptor.
 */
import fs from 'node:fs';
import type { Config } from './config';
import path from 'node:path';
import { Writable } from 'node:stream';
import bunyan from 'bunyan';

export type Logger = bunyan;

/** A file stream that can switch to a freshly opened file of the same name without losing a write. */
export class ReopenableFileStream extends Writable {
  private current: fs.WriteStream;

  constructor(readonly file: string) {
    super();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.current = this.open();
  }

  private open(): fs.WriteStream {
    const s = fs.createWriteStream(this.file, { flags: 'a' });
    s.on('error', (err) => process.stderr.write(`log file ${this.file}: ${err.message}\n`));
    return s;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.current.write(chunk)) done();
    else this.current.once('drain', () => done());
  }

  reopen(): void {
    const old = this.current;
    this.current = this.open();
    old.end();
  }

  override _final(done: (err?: Error | null) => void): void {
    this.current.end(() => done());
  }
}

const fileStreams = new Set<ReopenableFileStream>();

/** Reopens every log file of this process (after an external rename). */
export function reopenLogFiles(): number {
  for (const s of fileStreams) s.reopen();
  return fileStreams.size;
}

const MAIN_STREAM = 'log_level';

/**
 * Cinder's run-time log levels (`PUT /os-services/set-log`, `get-log`) in Bunyan's terms: the names
 * Cinder accepts, and how a Bunyan level reads back.
 */
export const LOG_LEVEL_NAMES = ['INFO', 'WARNING', 'ERROR', 'DEBUG'] as const;
export type LogLevelName = (typeof LOG_LEVEL_NAMES)[number];

const BUNYAN_LEVEL: Record<LogLevelName, bunyan.LogLevel> = { DEBUG: 'debug', INFO: 'info', WARNING: 'warn', ERROR: 'error' };

/** The Python name of a logger's level (its main streams'; TRACE reads as DEBUG, FATAL as CRITICAL). */
export function logLevelName(log: Logger): string {
  const main = (log as unknown as { streams: { name?: string; level: number }[] }).streams.find((s) => s.name === MAIN_STREAM);
  const n = main?.level ?? log.level();
  return n <= bunyan.DEBUG ? 'DEBUG' : n <= bunyan.INFO ? 'INFO' : n <= bunyan.WARN ? 'WARNING' : n <= bunyan.ERROR ? 'ERROR' : 'CRITICAL';
}

/** Sets the level of a logger's main streams at run time; a stdout stream with its own level keeps it. */
export function setLogLevel(log: Logger, level: LogLevelName): void {
  const streams = (log as unknown as { streams: { name?: string; level: number }[] }).streams;
  const kept = streams.map((s, i) => ({ i, level: s.level, fixed: s.name !== MAIN_STREAM })).filter((s) => s.fixed);
  log.level(BUNYAN_LEVEL[level]);
  for (const s of kept) log.levels(s.i, s.level);
}

// --- human-readable console (issue 18) ---

const LEVEL_LABEL: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const LEVEL_COLOUR: Record<number, string> = { 10: '90', 20: '36', 30: '32', 40: '33', 50: '31', 60: '35' };
/** Bunyan's own record fields: shown in the line's head, not repeated as key=value. */
const CORE_FIELDS = new Set(['v', 'level', 'name', 'hostname', 'pid', 'time', 'msg', 'src', 'err', 'component']);

function fieldText(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

/**
 * One record as a console line, like `bunyan -o short`: `05:40:01.123Z  INFO volume-api: msg (k=v, ...)`,
 * an error's stack on the lines below. Colours only when `colour`.
 */
export function formatRecord(rec: Record<string, unknown>, colour = false): string {
  const level = Number(rec.level);
  const label = (LEVEL_LABEL[level] ?? `L${level}`).padStart(5);
  const time = rec.time instanceof Date ? rec.time.toISOString() : String(rec.time ?? '');
  const name = rec.component ? `${String(rec.name)}/${String(rec.component)}` : String(rec.name);
  const extras = Object.entries(rec)
    .filter(([k, v]) => !CORE_FIELDS.has(k) && v !== undefined)
    .map(([k, v]) => `${k}=${fieldText(v)}`);
  const head = `${time.slice(11)} ${colour ? `\x1b[${LEVEL_COLOUR[level] ?? '0'}m${label}\x1b[0m` : label} ${name}: ${String(rec.msg ?? '')}`;
  const err = rec.err as { stack?: string; message?: string } | undefined;
  const stack = err
    ? `\n    ${String(err.stack ?? err.message)
        .split('\n')
        .join('\n    ')}`
    : '';
  return `${head}${extras.length > 0 ? ` (${extras.join(', ')})` : ''}${stack}\n`;
}

/** Whether stdout gets text lines: `text`, or `auto` on a terminal. */
export function textConsole(format: Config['log_format'], stream: NodeJS.WritableStream = process.stdout): boolean {
  return format === 'text' || (format === 'auto' && (stream as { isTTY?: boolean }).isTTY === true);
}

export function createLogger(
  name: 'volume-api' | 'volume-worker',
  level: string,
  stream: NodeJS.WritableStream = process.stdout,
  file?: string,
  streamLevel: string = level,
  text = false,
): Logger {
  // Streams at `level` are named MAIN_STREAM: set-log changes them, and a stdout kept at its own level stays.
  const stdoutName = streamLevel === level ? MAIN_STREAM : 'stdout';
  const colour = (stream as { isTTY?: boolean }).isTTY === true;
  const streams: bunyan.Stream[] =
    streamLevel === 'off'
      ? []
      : text
        ? [
            {
              name: stdoutName,
              level: streamLevel as bunyan.LogLevel,
              type: 'raw',
              stream: { write: (rec: object) => stream.write(formatRecord(rec as Record<string, unknown>, colour)) } as unknown as NodeJS.WritableStream,
            },
          ]
        : [{ name: stdoutName, level: streamLevel as bunyan.LogLevel, stream }];
  if (file) {
    const fileStream = new ReopenableFileStream(file);
    fileStreams.add(fileStream);
    streams.push({ name: MAIN_STREAM, level: level as bunyan.LogLevel, stream: fileStream });
  }
  return bunyan.createLogger({
    name,
    streams,
    serializers: {
      err: bunyan.stdSerializers.err,
      req: (req: { method?: string; url?: string; headers?: Record<string, unknown>; socket?: { remoteAddress?: string } }) =>
        req && { method: req.method, url: req.url, remote_address: req.socket?.remoteAddress, user_agent: req.headers?.['user-agent'] },
    },
  });
}

/** SIGUSR2 reopens the log files (logrotate's postrotate for non-PM2 setups). */
export function reopenLogFilesOnSignal(log: Logger): void {
  process.on('SIGUSR2', () => log.info({ files: reopenLogFiles() }, 'log files reopened'));
}

/** The logger of an entry point: stdout at `log_stdout_level` (default `log_level`) in `log_format`, plus `log_file`. */
export function processLogger(
  name: 'volume-api' | 'volume-worker',
  config: Pick<Config, 'log_level' | 'log_file' | 'log_stdout_level' | 'log_format'>,
): Logger {
  return createLogger(
    name,
    config.log_level,
    process.stdout,
    config.log_file || undefined,
    config.log_stdout_level || config.log_level,
    textConsole(config.log_format),
  );
}
