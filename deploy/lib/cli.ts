/*
 * volume-api-deploy: the deploy command line (deploy/bin/volume-api-deploy.js runs `main`).
 *
 *   volume-api-deploy apache|nginx generate [options]     print the vhost (or --out FILE)
 *   volume-api-deploy apache|nginx validate [options]     the server's config test on it (or --file FILE)
 *   volume-api-deploy install apache|nginx [options]      validate, back up, write, enable, test, reload
 *   volume-api-deploy uninstall apache|nginx [options]    remove file and link (backup kept), reload
 *   volume-api-deploy host-setup --mode standalone|pm2|apache|nginx [options]
 *
 * Exit codes: 0 ok, 1 failed (validation, config test, a step), 2 usage (unknown option, bad value).
 * Reference: docs/deploy.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { appSettings, definesEnv, DEFAULT_ECOSYSTEM, loadEcosystem, type Ecosystem } from './ecosystem';
import { LAYOUTS, detectLayout, type Layout, type LayoutName } from './layouts';
import {
  defaultVhostOptions,
  HSTS_MAX_AGE_SECONDS,
  parseHostPort,
  SERVER_NAMES,
  type ServerName,
  type Upstream,
  type VhostOptions,
  type WebServer,
} from './webserver';
import { installVhost, runCommand, uninstallVhost, type Runner } from './install';
import { MODES, runHostSetup, type Mode } from './host-setup';

export const PROG = 'volume-api-deploy';
/** The checkout this CLI belongs to (the default --app-dir). */
export const REPO_DIR = path.resolve(__dirname, '..', '..');

export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}

export interface Deps {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** The web servers by name; default: deploy/lib/servers.ts (loaded on first use). */
  servers?: Record<ServerName, WebServer>;
  /** Host commands (install on `/`, host-setup); tests replace it. */
  runner?: Runner;
  env?: NodeJS.ProcessEnv;
}

// ---------------------------------------------------------------------------------------------------
// Options

interface OptSpec {
  name: string;
  /** Metavar; absent for a flag. */
  arg?: string;
  repeat?: boolean;
  help: string;
}

const O = {
  ecosystem: { name: 'ecosystem', arg: 'FILE', help: `ecosystem file the port is read from (default: ${DEFAULT_ECOSYSTEM})` },
  env: { name: 'env', arg: 'NAME', help: 'ecosystem environment, as in `pm2 start --env NAME` (default: production)' },
  layout: { name: 'layout', arg: 'debian|rhel', help: 'host family (default: detected: /etc/debian_version or /etc/redhat-release under the root)' },
  serverName: { name: 'server-name', arg: 'NAME', help: 'host name of the vhost (default: localhost)' },
  listen: { name: 'listen', arg: 'ADDR:PORT', help: 'address the vhost listens on (default: *:80, *:443 with TLS)' },
  tlsCert: { name: 'tls-cert', arg: 'FILE', help: 'certificate (PEM); with --tls-key: HTTPS vhost plus an HTTP vhost redirecting to it' },
  tlsKey: { name: 'tls-key', arg: 'FILE', help: 'private key (PEM); with --tls-cert' },
  upstream: { name: 'upstream', arg: 'HOST:PORT', repeat: true, help: "an API instance; repeat for several (default: 127.0.0.1:<the ecosystem's port>)" },
  maxBody: { name: 'max-body', arg: 'BYTES', help: "largest request body (default: the service's max_body_size, 114688)" },
  proxyTimeout: { name: 'proxy-timeout', arg: 'S', help: 'seconds to wait for an API response (default: 60)' },
  connectTimeout: { name: 'connect-timeout', arg: 'S', help: 'seconds to wait for a connection to the API (default: 5)' },
  backendKeepalive: { name: 'backend-keepalive', arg: 'S', help: "idle seconds a backend connection is kept, below the service's 75 (default: 30)" },
  healthInterval: { name: 'health-interval', arg: 'S', help: 'seconds between health checks of each upstream (default: 5)' },
  pathPrefix: { name: 'path-prefix', arg: 'PATH', help: 'serve the API under PATH, e.g. /volume for http://host/volume/v3 (default: the root)' },
  hsts: { name: 'hsts', help: `with TLS: send Strict-Transport-Security (max-age ${HSTS_MAX_AGE_SECONDS}, one year)` },
  logDir: { name: 'log-dir', arg: 'DIR', help: "directory of the vhost's logs (default: the server's, /var/log/apache2 ...)" },
  out: { name: 'out', arg: 'FILE', help: 'write the vhost to FILE instead of printing it' },
  file: { name: 'file', arg: 'FILE', help: 'validate this existing vhost file instead of a generated one' },
  root: { name: 'root', arg: 'DIR', help: 'install root (default: /); other than /: files only, no host command' },
  dryRun: { name: 'dry-run', help: 'show what would change (diff, steps) and change nothing' },
  mode: { name: 'mode', arg: 'standalone|pm2|apache|nginx', help: 'the host shape to set up (required)' },
  user: { name: 'user', arg: 'NAME', help: 'service user the apps run as (default: volume-api)' },
  home: { name: 'home', arg: 'DIR', help: "the service user's home, PM2_HOME is DIR/.pm2 (default: its passwd entry, else /srv/<user>)" },
  appDir: { name: 'app-dir', arg: 'DIR', help: 'the volume-api checkout to run (default: the one this command belongs to)' },
  help: { name: 'help', help: 'show this help' },
} satisfies Record<string, OptSpec>;

const VHOST_OPTS: OptSpec[] = [
  O.serverName,
  O.listen,
  O.tlsCert,
  O.tlsKey,
  O.upstream,
  O.maxBody,
  O.proxyTimeout,
  O.connectTimeout,
  O.backendKeepalive,
  O.healthInterval,
  O.logDir,
  O.pathPrefix,
  O.hsts,
];
const GEN_OPTS: OptSpec[] = [O.ecosystem, O.env, O.layout, ...VHOST_OPTS];

interface CommandSpec {
  usage: string;
  summary: string;
  options: OptSpec[];
}

const COMMANDS: Record<string, CommandSpec> = {
  generate: {
    usage: `${PROG} apache|nginx generate [options]`,
    summary: 'Print the vhost for the ecosystem and options (or write it with --out).',
    options: [...GEN_OPTS, O.out, O.help],
  },
  validate: {
    usage: `${PROG} apache|nginx validate [options]`,
    summary:
      "Generate the vhost with the same options (or read --file FILE) and run the server's own configuration test on a throwaway configuration including it. Prints the test's output; exit 1 when it fails.",
    options: [...GEN_OPTS, O.file, O.help],
  },
  install: {
    usage: `${PROG} install apache|nginx [options]`,
    summary:
      'Validate the generated vhost (refuse with exit 1 and change nothing when it fails), back up the file it replaces (<file>.bak-<timestamp>), write it under --root, create the Debian sites-enabled link; on / also run the prepare commands (a2enmod, a2ensite), the full config test (restoring the backup when it fails) and a graceful reload. --dry-run prints a unified diff and the plan.',
    options: [...GEN_OPTS, O.root, O.dryRun, O.help],
  },
  uninstall: {
    usage: `${PROG} uninstall apache|nginx [options]`,
    summary: 'Remove the enabled link and move the vhost to <file>.bak-<timestamp>; on / also run the config test and a graceful reload.',
    options: [O.layout, O.root, O.dryRun, O.help],
  },
  'host-setup': {
    usage: `${PROG} host-setup --mode standalone|pm2|apache|nginx [options]`,
    summary:
      'Bring this host to one shape, step by step; each step checks first whether it is already done. standalone: npm ci, build, service user, systemd unit for dist/standalone.js. pm2: npm ci, build, service user, pm2 start/save/startup as that user, log rotation. apache|nginx: pm2, then the web server package and `install <server>`. --dry-run lists the numbered steps with their exact commands.',
    options: [
      O.mode,
      { ...O.dryRun, help: 'list the numbered steps, their state and exact commands; change nothing' },
      O.user,
      O.home,
      { ...O.root, help: 'root for the files written (unit, logrotate, vhost; default: /); other than /: host steps are skipped' },
      O.appDir,
      { ...O.ecosystem, help: 'ecosystem file (default: <app-dir>/ecosystem.config.js)' },
      O.env,
      O.layout,
      ...VHOST_OPTS,
      O.help,
    ],
  },
};

function helpText(command: string): string {
  const spec = COMMANDS[command];
  const left = (o: OptSpec) => `--${o.name}${o.arg ? ` ${o.arg}` : ''}${o.repeat ? ' (repeatable)' : ''}`;
  const width = Math.max(...spec.options.map((o) => left(o).length));
  return [
    `Usage: ${spec.usage}`,
    '',
    wrap(spec.summary, 100),
    '',
    'Options:',
    ...spec.options.map((o) => `  ${left(o).padEnd(width)}  ${o.help}`),
    '',
    'Exit codes: 0 ok, 1 failed, 2 usage error. Reference: docs/deploy.md',
    '',
  ].join('\n');
}

function wrap(text: string, width: number): string {
  const out: string[] = [];
  let line = '';
  for (const w of text.split(/\s+/)) {
    if (line && line.length + 1 + w.length > width) {
      out.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(line);
  return out.join('\n');
}

export const MAIN_HELP = [
  `Usage: ${PROG} <command> [options]`,
  '',
  'Commands:',
  '  apache generate | nginx generate     print the vhost (or --out FILE)',
  "  apache validate | nginx validate     run the server's config test on the vhost (or --file FILE)",
  '  install apache|nginx                 validate, back up, write, enable, config test, graceful reload',
  '  uninstall apache|nginx               remove the vhost (backup kept) and its link, reload',
  '  host-setup --mode standalone|pm2|apache|nginx   set this host up, step by step (--dry-run lists them)',
  '',
  `Run '${PROG} <command> --help' for the options of a command (e.g. '${PROG} nginx generate --help').`,
  'Exit codes: 0 ok, 1 failed, 2 usage error. Reference: docs/deploy.md',
  '',
].join('\n');

export interface ParsedOptions {
  values: Map<string, string[]>;
  flags: Set<string>;
  positionals: string[];
  /** The options with a value, in the order given (host-setup passes some on to `install`). */
  given: { name: string; value: string }[];
}

/**
 * Parses `--name value`, `--name=value` and flags against the command's options. node:util parseArgs
 * splits the words (not strict: it only tokenizes); the checks and their messages are this tool's:
 * an unknown option, a missing or empty value (the next word is another option), a value for a flag,
 * an option given twice that is not repeatable, `--`. A word with a single dash other than -h
 * (`-x`, `-1`) is an argument.
 */
export function parseOptions(argv: string[], command: string): ParsedOptions {
  const specs = new Map(COMMANDS[command].options.map((o) => [o.name, o]));
  const options: ParseArgsConfig['options'] = {};
  for (const o of specs.values())
    options[o.name] = o.arg ? { type: 'string', multiple: true } : { type: 'boolean', ...(o.name === 'help' ? { short: 'h' } : {}) };
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  const out: ParsedOptions = { values: new Map(), flags: new Set(), positionals: [], given: [] };
  let shortWord = -1;
  for (const t of tokens) {
    if (t.kind === 'positional') out.positionals.push(t.value);
    else if (t.kind === 'option-terminator') throw new UsageError(`unknown option -- for ${command}`, command);
    else if (!t.rawName.startsWith('--')) {
      // One token per letter of the word (-hx): the word itself is what counts.
      if (argv[t.index] === '-h') out.flags.add('help');
      else if (t.index !== shortWord) out.positionals.push(argv[t.index]);
      shortWord = t.index;
    } else {
      const spec = specs.get(t.name);
      if (!spec) throw new UsageError(`unknown option --${argv[t.index].slice(2).split('=')[0]} for ${command}`, command);
      const name = spec.name;
      if (!spec.arg) {
        if (t.inlineValue) throw new UsageError(`--${name} takes no value`, command);
        out.flags.add(name);
        continue;
      }
      const value = t.value;
      if (value === undefined || value === '' || (!t.inlineValue && value.startsWith('--') && value.length > 2))
        throw new UsageError(`--${name} needs a value (${spec.arg})`, command);
      const prev = out.values.get(name);
      if (prev && !spec.repeat) throw new UsageError(`--${name} given twice`, command);
      out.values.set(name, [...(prev ?? []), value]);
      out.given.push({ name, value });
    }
  }
  return out;
}

const one = (p: ParsedOptions, name: string) => p.values.get(name)?.[0];

function positiveInt(p: ParsedOptions, name: string, command: string, what: string): number | undefined {
  const v = one(p, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1 || !Number.isSafeInteger(Number(v)))
    throw new UsageError(`--${name} ${JSON.stringify(v)} must be a positive whole number of ${what}`, command);
  return Number(v);
}

function chooseLayout(p: ParsedOptions, command: string, detectRoot: string): Layout {
  const v = one(p, 'layout');
  if (v !== undefined) {
    if (v !== 'debian' && v !== 'rhel') throw new UsageError(`--layout ${JSON.stringify(v)} must be debian or rhel`, command);
    return LAYOUTS[v as LayoutName];
  }
  try {
    return LAYOUTS[detectLayout(detectRoot)];
  } catch (err) {
    throw new UsageError(`${(err as Error).message} (looked under ${detectRoot})`, command);
  }
}

/** The ecosystem as the apps see it with --env NAME (env_NAME wins over env, as in `pm2 start --env`). */
function chooseEcosystem(p: ParsedOptions, command: string, defaultFile: string, env: NodeJS.ProcessEnv): { eco: Ecosystem; envName: string } {
  const file = path.resolve(one(p, 'ecosystem') ?? defaultFile);
  if (!fs.existsSync(file)) throw new UsageError(`--ecosystem ${file}: no such file`, command);
  let eco: Ecosystem;
  try {
    eco = loadEcosystem(file, env);
  } catch (err) {
    throw new UsageError(`--ecosystem ${file}: ${(err as Error).message}`, command);
  }
  const envName = one(p, 'env') ?? 'production';
  if (one(p, 'env') !== undefined && !eco.apps.some((a) => definesEnv(a, envName)))
    throw new UsageError(`--env ${envName}: no app of ${file} defines env_${envName}`, command);
  return { eco: { ...eco, port: appSettings(eco.api, envName).port }, envName };
}

/** Command-line options -> VhostOptions (through defaultVhostOptions). Usage errors name the option. */
export function vhostOptionsFrom(p: ParsedOptions, command: string, eco: Ecosystem, layout: Layout, server: ServerName): VhostOptions {
  const partial: Partial<VhostOptions> = {};
  const serverName = one(p, 'server-name');
  if (serverName !== undefined) partial.serverName = serverName;
  const wrapHostPort = (text: string, opt: string): Upstream => {
    try {
      return parseHostPort(text, `--${opt}`);
    } catch (err) {
      throw new UsageError((err as Error).message, command);
    }
  };
  const listen = one(p, 'listen');
  if (listen !== undefined) partial.listen = wrapHostPort(listen, 'listen');
  const cert = one(p, 'tls-cert');
  const key = one(p, 'tls-key');
  if ((cert === undefined) !== (key === undefined))
    throw new UsageError(`--tls-cert and --tls-key go together: ${cert === undefined ? '--tls-cert' : '--tls-key'} is missing`, command);
  if (cert !== undefined && key !== undefined) partial.tls = { cert: path.resolve(cert), key: path.resolve(key) };
  const ups = p.values.get('upstream');
  if (ups) partial.upstreams = ups.map((u) => wrapHostPort(u, 'upstream'));
  const maxBody = positiveInt(p, 'max-body', command, 'bytes');
  if (maxBody !== undefined) partial.maxBodyBytes = maxBody;
  const pt = positiveInt(p, 'proxy-timeout', command, 'seconds');
  if (pt !== undefined) partial.proxyTimeoutSeconds = pt;
  const ct = positiveInt(p, 'connect-timeout', command, 'seconds');
  if (ct !== undefined) partial.connectTimeoutSeconds = ct;
  const ka = positiveInt(p, 'backend-keepalive', command, 'seconds');
  if (ka !== undefined) partial.backendKeepAliveSeconds = ka;
  const hi = positiveInt(p, 'health-interval', command, 'seconds');
  if (hi !== undefined) partial.healthCheckIntervalSeconds = hi;
  const logDir = one(p, 'log-dir');
  if (logDir !== undefined) partial.logDir = path.resolve(logDir);
  const prefix = one(p, 'path-prefix');
  if (prefix !== undefined) partial.pathPrefix = prefix;
  if (p.flags.has('hsts')) partial.hstsMaxAgeSeconds = HSTS_MAX_AGE_SECONDS;
  try {
    return defaultVhostOptions(eco, layout, server, partial);
  } catch (err) {
    const msg = (err as Error).message;
    if (/^backend keep-alive/.test(msg)) throw new UsageError(`--backend-keepalive: ${msg}`, command);
    if (/^path prefix/.test(msg)) throw new UsageError(`--path-prefix: ${msg}`, command);
    if (/^HSTS/.test(msg)) throw new UsageError(`--hsts: ${msg}`, command);
    throw new UsageError(msg.startsWith('--') ? msg : `invalid options: ${msg}`, command);
  }
}

function serverNamed(name: string | undefined, command: string): ServerName {
  if (name === undefined) throw new UsageError(`${command} needs a web server: apache or nginx`, command);
  if (!(SERVER_NAMES as readonly string[]).includes(name)) throw new UsageError(`unknown web server ${JSON.stringify(name)}: apache or nginx`, command);
  return name as ServerName;
}

function loadServers(deps: Deps): Record<ServerName, WebServer> {
  if (deps.servers) return deps.servers;
  // Loaded on use: `--help` and usage errors need neither generator.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('./servers') as typeof import('./servers')).servers;
}

function rejectGiven(p: ParsedOptions, names: string[], why: string, command: string): void {
  for (const n of names) if (p.values.has(n) || p.flags.has(n)) throw new UsageError(`--${n} ${why}`, command);
}

/** Which option an error of a generator's own checks is about (they name VhostOptions fields). */
const GENERATOR_OPTION_HINTS: [RegExp, string][] = [
  [/^(server ?name|serverName)\b/i, 'server-name'],
  [/^with TLS/, 'listen'],
  [/^listen/i, 'listen'],
  [/^(tls\.cert|TLS certificate)/i, 'tls-cert'],
  [/^(tls\.key|TLS key)/i, 'tls-key'],
  [/^(at least one upstream|upstream)/i, 'upstream'],
  [/^max ?body/i, 'max-body'],
  [/^proxy ?timeout/i, 'proxy-timeout'],
  [/^connect ?timeout/i, 'connect-timeout'],
  [/^backend ?keep-?alive/i, 'backend-keepalive'],
  [/^health ?check/i, 'health-interval'],
  [/^log ?dir/i, 'log-dir'],
];

/** server.generate; its refusals of option values are usage errors naming the option. */
function generateText(server: WebServer, eco: Ecosystem, opts: VhostOptions, layout: Layout, command: string): string {
  try {
    return ensureText(server.generate(eco, opts, layout));
  } catch (err) {
    const msg = (err as Error).message;
    const hint = GENERATOR_OPTION_HINTS.find(([re]) => re.test(msg));
    if (hint) throw new UsageError(`--${hint[1]}: ${msg}`, command);
    throw err;
  }
}

function ensureText(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

// ---------------------------------------------------------------------------------------------------
// Commands

async function cmdGenerateOrValidate(serverName: ServerName, action: 'generate' | 'validate', p: ParsedOptions, deps: Deps): Promise<number> {
  const env = deps.env ?? process.env;
  const layout = chooseLayout(p, action, '/');
  const server = loadServers(deps)[serverName];
  if (action === 'validate' && one(p, 'file') !== undefined) {
    rejectGiven(p, ['ecosystem', 'env', ...VHOST_OPTS.map((o) => o.name)], 'cannot be combined with --file (the file is validated as it is)', action);
    const file = path.resolve(one(p, 'file') as string);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`--file ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, action);
    }
    return report(await server.validate(text, layout), `${file}`, serverName, deps);
  }
  const { eco } = chooseEcosystem(p, action, DEFAULT_ECOSYSTEM, env);
  const opts = vhostOptionsFrom(p, action, eco, layout, serverName);
  const text = generateText(server, eco, opts, layout, action);
  if (action === 'generate') {
    const out = one(p, 'out');
    if (out === undefined) deps.stdout(text);
    else {
      const file = path.resolve(out);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text, { mode: 0o644 });
      deps.stdout(`wrote ${file}\n`);
    }
    return 0;
  }
  return report(await server.validate(text, layout), `the generated ${serverName} vhost (${layout.name})`, serverName, deps);
}

function report(r: { ok: boolean; output: string }, what: string, serverName: string, deps: Deps): number {
  if (r.output.trim()) deps.stdout(ensureText(r.output));
  if (r.ok) {
    deps.stdout(`ok: ${what} passes the ${serverName} configuration test\n`);
    return 0;
  }
  deps.stderr(`invalid: ${what} fails the ${serverName} configuration test\n`);
  return 1;
}

function rootOf(p: ParsedOptions): string {
  return path.resolve(one(p, 'root') ?? '/');
}

async function cmdInstall(p: ParsedOptions, deps: Deps): Promise<number> {
  const serverName = serverNamed(p.positionals[0], 'install');
  if (p.positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(p.positionals[1])}`, 'install');
  const root = rootOf(p);
  const layout = chooseLayout(p, 'install', root);
  const { eco } = chooseEcosystem(p, 'install', DEFAULT_ECOSYSTEM, deps.env ?? process.env);
  const opts = vhostOptionsFrom(p, 'install', eco, layout, serverName);
  const server = loadServers(deps)[serverName];
  const r = await installVhost({
    server,
    layout,
    root,
    live: root === '/',
    runner: deps.runner ?? runCommand,
    text: generateText(server, eco, opts, layout, 'install'),
    dryRun: p.flags.has('dry-run'),
    log: (l) => deps.stdout(`${l}\n`),
  });
  return r.ok ? 0 : 1;
}

async function cmdUninstall(p: ParsedOptions, deps: Deps): Promise<number> {
  const serverName = serverNamed(p.positionals[0], 'uninstall');
  if (p.positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(p.positionals[1])}`, 'uninstall');
  const root = rootOf(p);
  const layout = chooseLayout(p, 'uninstall', root);
  const r = await uninstallVhost({
    server: loadServers(deps)[serverName],
    layout,
    root,
    live: root === '/',
    runner: deps.runner ?? runCommand,
    dryRun: p.flags.has('dry-run'),
    log: (l) => deps.stdout(`${l}\n`),
  });
  return r.ok ? 0 : 1;
}

/** The options of `install` that host-setup passes on, as given (for the step's command line). */
function installArgsFrom(p: ParsedOptions): string[] {
  const pass = new Set(['ecosystem', 'env', 'layout', 'root', ...VHOST_OPTS.map((o) => o.name)]);
  const paths = new Set(['ecosystem', 'tls-cert', 'tls-key', 'log-dir', 'root']);
  const values = p.given.filter((g) => pass.has(g.name)).flatMap((g) => [`--${g.name}`, paths.has(g.name) ? path.resolve(g.value) : g.value]);
  return [...values, ...(p.flags.has('hsts') ? ['--hsts'] : [])];
}

async function cmdHostSetup(p: ParsedOptions, deps: Deps): Promise<number> {
  if (p.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(p.positionals[0])}`, 'host-setup');
  const modeText = one(p, 'mode');
  if (modeText === undefined) throw new UsageError('--mode is required: standalone, pm2, apache or nginx', 'host-setup');
  if (!(MODES as readonly string[]).includes(modeText))
    throw new UsageError(`--mode ${JSON.stringify(modeText)} must be standalone, pm2, apache or nginx`, 'host-setup');
  const mode = modeText as Mode;
  const web = mode === 'apache' || mode === 'nginx';
  if (!web)
    rejectGiven(
      p,
      VHOST_OPTS.map((o) => o.name),
      `only applies with --mode apache or nginx`,
      'host-setup',
    );
  const user = one(p, 'user') ?? 'volume-api';
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(user)) throw new UsageError(`--user ${JSON.stringify(user)} is not a valid user name`, 'host-setup');
  const root = rootOf(p);
  const appDir = path.resolve(one(p, 'app-dir') ?? REPO_DIR);
  if (!fs.existsSync(path.join(appDir, 'package.json'))) throw new UsageError(`--app-dir ${appDir} has no package.json`, 'host-setup');
  const layout = chooseLayout(p, 'host-setup', root);
  const { eco, envName } = chooseEcosystem(p, 'host-setup', path.join(appDir, 'ecosystem.config.js'), deps.env ?? process.env);
  let server: WebServer | undefined;
  let vhost: string | undefined;
  let loopbackOnly = true;
  let tls = false;
  if (web) {
    const opts = vhostOptionsFrom(p, 'host-setup', eco, layout, mode);
    server = loadServers(deps)[mode];
    vhost = generateText(server, eco, opts, layout, 'host-setup');
    loopbackOnly = opts.upstreams.every((u) => /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(u.host));
    tls = opts.tls !== undefined;
  }
  const home = one(p, 'home');
  const ok = await runHostSetup({
    mode,
    eco,
    envName,
    layout,
    root,
    appDir,
    user,
    home: home === undefined ? undefined : path.resolve(home),
    server,
    vhost,
    // The install step runs in this process; its command line says what it is equivalent to.
    installArgs: [...installArgsFrom(p), ...(one(p, 'ecosystem') === undefined && eco.file !== DEFAULT_ECOSYSTEM ? ['--ecosystem', eco.file] : [])],
    loopbackOnly,
    tls,
    runner: deps.runner ?? runCommand,
    dryRun: p.flags.has('dry-run'),
    log: (l) => deps.stdout(`${l}\n`),
  });
  return ok ? 0 : 1;
}

/** Runs one command line; resolves with the exit code (0 ok, 1 failed, 2 usage). Never rejects. */
export async function main(argv: string[], deps: Partial<Deps> = {}): Promise<number> {
  const d: Deps = {
    stdout: deps.stdout ?? ((t) => void process.stdout.write(t)),
    stderr: deps.stderr ?? ((t) => void process.stderr.write(t)),
    servers: deps.servers,
    runner: deps.runner,
    env: deps.env,
  };
  let command: string | undefined;
  try {
    const [first, ...rest] = argv;
    if (first === undefined) throw new UsageError('no command given');
    if (first === '--help' || first === '-h' || first === 'help') {
      const topic = rest[0];
      if (topic && COMMANDS[topic]) d.stdout(helpText(topic));
      else d.stdout(MAIN_HELP);
      return 0;
    }
    if ((SERVER_NAMES as readonly string[]).includes(first)) {
      const action = rest[0];
      if (action === undefined || action === '--help' || action === '-h') {
        if (action === undefined) throw new UsageError(`${first} needs an action: generate or validate`);
        d.stdout(`${helpText('generate')}\n${helpText('validate')}`);
        return 0;
      }
      if (action !== 'generate' && action !== 'validate') throw new UsageError(`unknown ${first} action ${JSON.stringify(action)}: generate or validate`);
      command = action;
      const p = parseOptions(rest.slice(1), action);
      if (p.flags.has('help')) return (d.stdout(helpText(action)), 0);
      if (p.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(p.positionals[0])}`, action);
      return await cmdGenerateOrValidate(first as ServerName, action, p, d);
    }
    if (!COMMANDS[first] || first === 'generate' || first === 'validate') throw new UsageError(`unknown command ${JSON.stringify(first)}`);
    command = first;
    const p = parseOptions(rest, first);
    if (p.flags.has('help')) return (d.stdout(helpText(first)), 0);
    if (first === 'install') return await cmdInstall(p, d);
    if (first === 'uninstall') return await cmdUninstall(p, d);
    return await cmdHostSetup(p, d);
  } catch (err) {
    if (err instanceof UsageError) {
      const cmd = err.command ?? command;
      const hint = cmd ? (cmd === 'generate' || cmd === 'validate' ? `${argv[0]} ${cmd} --help` : `${cmd} --help`) : '--help';
      d.stderr(`${PROG}: ${err.message}\nRun '${PROG} ${hint}' for usage.\n`);
      return 2;
    }
    d.stderr(`${PROG}: ${(err as Error).message}\n`);
    return 1;
  }
}
