/*
 * Network namespaces as stand-in hosts for the multi-host test (issue 8). Each host is a namespace with a
 * veth pair into the root namespace: `10.231.N.1/24` on the root side, `10.231.N.2/24` inside, so the
 * host's processes bind their own address and everything in the root namespace (the balancer,
 * PostgreSQL on 10.231.N.1) reaches it, while taking the root-side link down cuts the host off exactly
 * as an unplugged cable would. The subnet N is the first free one, so a run never collides with an
 * address already in use (a leftover or a parallel run).
 *
 * Everything made here is removed by `remove()`, and again on process exit if a test never got there
 * (removing a namespace also kills nothing: the caller stops its processes first; the veth goes with
 * the namespace). Without CAP_NET_ADMIN (`canCreateNamespaces()` false) callers fall back to loopback
 * addresses (`loopbackHost`), where a link cannot be cut.
 */
import { execFileSync, spawnSync } from 'node:child_process';

export interface NetHost {
  /** Short label, e.g. `host1`. */
  label: string;
  /** The namespace, or undefined for a loopback fallback host. */
  ns?: string;
  /** Root-side veth (the "cable"), when there is a namespace. */
  rootIf?: string;
  /** Address of the root namespace as this host sees it (the balancer's and PostgreSQL's source/target). */
  rootAddr: string;
  /** The host's own address: its API listens there. */
  addr: string;
  /** argv prefix that runs a command inside the host (`ip netns exec NS`), or nothing. */
  exec: string[];
}

const created = new Set<NetHost>();

function ip(args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

/** True when this process may create namespaces and veth pairs (root, or CAP_NET_ADMIN). */
export function canCreateNamespaces(): boolean {
  const probe = `vapi-probe-${process.pid}`;
  if (spawnSync('ip', ['netns', 'add', probe]).status !== 0) return false;
  spawnSync('ip', ['netns', 'del', probe]);
  return true;
}

/** Whether the `ip` command (Debian iproute2) is installed. */
export function hasIpCommand(): boolean {
  return spawnSync('ip', ['-V']).status === 0;
}

function subnetsInUse(): Set<number> {
  const out = spawnSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8' }).stdout ?? '';
  return new Set([...out.matchAll(/inet 10\.231\.(\d+)\./g)].map((m) => Number(m[1])));
}

/** A namespace with a veth pair into the root namespace, up and addressed. */
export function createNamespaceHost(label: string): NetHost {
  const used = subnetsInUse();
  for (const h of created) used.add(Number(h.addr.split('.')[2]));
  let n = 1;
  while (used.has(n)) n++;
  if (n > 254) throw new Error('no free 10.231.N.0/24 subnet');
  // Interface names have at most 15 characters.
  const tag = `${process.pid % 100000}${n}`;
  const host: NetHost = {
    label,
    ns: `vapi-mh-${process.pid}-${n}`,
    rootIf: `vmr${tag}`.slice(0, 15),
    rootAddr: `10.231.${n}.1`,
    addr: `10.231.${n}.2`,
    exec: [],
  };
  host.exec = ['ip', 'netns', 'exec', host.ns!];
  const inner = `vmh${tag}`.slice(0, 15);
  created.add(host);
  try {
    ip(['netns', 'add', host.ns!]);
    ip(['link', 'add', host.rootIf!, 'type', 'veth', 'peer', 'name', inner]);
    ip(['link', 'set', inner, 'netns', host.ns!]);
    ip(['addr', 'add', `${host.rootAddr}/24`, 'dev', host.rootIf!]);
    ip(['link', 'set', host.rootIf!, 'up']);
    ip(['-n', host.ns!, 'addr', 'add', `${host.addr}/24`, 'dev', inner]);
    ip(['-n', host.ns!, 'link', 'set', inner, 'up']);
    ip(['-n', host.ns!, 'link', 'set', 'lo', 'up']);
  } catch (err) {
    remove(host);
    throw err;
  }
  return host;
}

/** Fallback without CAP_NET_ADMIN: a host that is just another loopback address (127.0.0.N). */
export function loopbackHost(label: string, n: number): NetHost {
  return { label, rootAddr: '127.0.0.1', addr: `127.0.0.${n}`, exec: [] };
}

/** Unplugs (false) or plugs back (true) the host's cable: its root-side veth. */
export function setLink(host: NetHost, up: boolean): void {
  if (!host.rootIf) throw new Error(`${host.label} has no link to cut (loopback fallback)`);
  ip(['link', 'set', host.rootIf, up ? 'up' : 'down']);
}

/** Removes the host's namespace and veth pair; safe to call twice. Stop its processes first. */
export function remove(host: NetHost): void {
  if (!created.delete(host)) return;
  if (host.rootIf) spawnSync('ip', ['link', 'del', host.rootIf]);
  if (host.ns) spawnSync('ip', ['netns', 'del', host.ns]);
}

/** Pids of every process still running inside the host's namespace (`ip netns pids`). */
export function pidsIn(host: NetHost): number[] {
  if (!host.ns) return [];
  const out = spawnSync('ip', ['netns', 'pids', host.ns], { encoding: 'utf8' }).stdout ?? '';
  return out.split('\n').filter(Boolean).map(Number);
}

/** Kills whatever still runs in the namespace (the last resort of cleanup), then removes it. */
export function killAndRemove(host: NetHost): void {
  for (const pid of pidsIn(host)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  remove(host);
}

process.on('exit', () => {
  for (const h of [...created]) killAndRemove(h);
});
