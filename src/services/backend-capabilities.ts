/*
 * What a volume backend offers, as its worker publishes it on every heartbeat (src/worker/heartbeat.ts,
 * the services row's `capabilities`), and Cinder's CapabilitiesFilter over it
 * (cinder/scheduler/filters/capabilities_filter.py, extra_specs_ops.py): the contract between the workers
 * that publish and the API that schedules new volumes (scheduler.ts) and lists pools.
 */

/** One pool of a backend: Cinder's pool stats (capacity, provisioning, features). */
export interface PoolCapabilities {
  pool_name: string;
  total_capacity_gb: number;
  free_capacity_gb: number;
  /** Sum of the sizes of the live volumes placed on the pool (Cinder's allocated_capacity_gb). */
  allocated_capacity_gb: number;
  /** Volumes and snapshots on the pool, in GB. */
  provisioned_capacity_gb: number;
  total_volumes: number;
  reserved_percentage: number;
  max_over_subscription_ratio: string;
  thin_provisioning_support: boolean;
  thick_provisioning_support: boolean;
  QoS_support: boolean;
  multiattach: boolean;
  online_extend_support: boolean;
  backend_state: 'up' | 'down';
  [capability: string]: unknown;
}

/** One of Cinder's standard capability properties (driver.py _init_standard_capabilities). */
export interface CapabilityProperty {
  title: string;
  description: string;
  type: string;
}

/** What a backend publishes: backend-level stats, its pools, and when. */
export interface BackendCapabilities {
  volume_backend_name: string;
  vendor_name: string;
  driver_version: string;
  storage_protocol: string;
  /** When the worker computed these (naive UTC ISO). */
  timestamp: string;
  properties: Record<string, CapabilityProperty>;
  pools: PoolCapabilities[];
}

/** Cinder's standard capabilities (driver.py _init_standard_capabilities), the `properties` of `GET /capabilities`. */
export const STANDARD_PROPERTIES: Record<string, CapabilityProperty> = {
  thin_provisioning: { title: 'Thin Provisioning', description: 'Sets thin provisioning.', type: 'boolean' },
  compression: { title: 'Compression', description: 'Enables compression.', type: 'boolean' },
  qos: { title: 'QoS', description: 'Enables QoS.', type: 'boolean' },
  replication_enabled: { title: 'Replication', description: 'Enables replication.', type: 'boolean' },
};

/** The backend-level keys every pool's view carries (host_manager.py _append_backend_info). */
export function poolView(backend: BackendCapabilities, pool: PoolCapabilities): Record<string, unknown> {
  return {
    ...pool,
    volume_backend_name: backend.volume_backend_name,
    storage_protocol: backend.storage_protocol,
    vendor_name: backend.vendor_name,
    driver_version: backend.driver_version,
    timestamp: backend.timestamp,
  };
}

export function parseCapabilities(json: string | null): BackendCapabilities | null {
  if (!json) return null;
  try {
    return JSON.parse(json) as BackendCapabilities;
  } catch {
    return null;
  }
}

/** Spellings of one storage protocol (cinder/common/constants.py *_VARIANTS); the first is canonical. */
const PROTOCOL_VARIANTS = [
  ['iSCSI', 'iscsi'],
  ['FC', 'fibre_channel', 'fc'],
  ['NFS', 'nfs'],
  ['NVMe-oF', 'NVMeOF', 'nvmeof'],
];

function protocolVariants(protocol: unknown): unknown {
  return PROTOCOL_VARIANTS.find((v) => v.includes(protocol as string)) ?? protocol;
}

/** Python's float() of a capability or requirement value; NaN when Python would raise ValueError. */
function pyFloat(x: unknown): number {
  if (typeof x === 'number') return x;
  if (typeof x === 'boolean') return x ? 1 : 0;
  if (typeof x !== 'string') return NaN;
  const t = x.trim().toLowerCase();
  if (/^[+-]?(inf|infinity)$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t) ? Number(t) : NaN;
}

/** oslo's bool_from_string (not strict): true for a true bool and the usual true words. */
function pyBool(x: unknown): boolean {
  if (typeof x === 'boolean') return x;
  return ['1', 't', 'true', 'on', 'y', 'yes'].includes(String(x).trim().toLowerCase());
}

function numeric(test: (a: number, b: number) => boolean) {
  return (x: unknown, y: string) => {
    const a = pyFloat(x);
    const b = pyFloat(y);
    return !Number.isNaN(a) && !Number.isNaN(b) && test(a, b);
  };
}

function stringwise(test: (a: string, b: string) => boolean) {
  return (x: unknown, y: string) => typeof x === 'string' && test(x, y);
}

const OPERATORS: Record<string, (x: unknown, y: string) => boolean> = {
  '=': numeric((a, b) => a >= b),
  '<in>': (x, y) => typeof x === 'string' && x.includes(y),
  '<is>': (x, y) => pyBool(x) === pyBool(y),
  '==': numeric((a, b) => a === b),
  '!=': numeric((a, b) => a !== b),
  '>=': numeric((a, b) => a >= b),
  '<=': numeric((a, b) => a <= b),
  's==': stringwise((a, b) => a === b),
  's!=': stringwise((a, b) => a !== b),
  's<': stringwise((a, b) => a < b),
  's<=': stringwise((a, b) => a <= b),
  's>': stringwise((a, b) => a > b),
  's>=': stringwise((a, b) => a >= b),
};

/**
 * extra_specs_ops.match: whether a capability value meets one requirement. A requirement without an
 * operator word is an exact match (a string equals only a string, as in Python: `True` is not "True";
 * use `<is> True`); `<or> a <or> b` matches any of the words.
 */
export function matchesRequirement(value: unknown, req: string | null): boolean {
  if (req === null) return value === null || value === undefined;
  const words = req.split(/\s+/).filter(Boolean);
  const op = words.shift();
  const method = op === undefined ? undefined : OPERATORS[op];
  if (op !== '<or>' && !method) return value === req;
  if (value === null || value === undefined) return false;
  if (op === '<or>') {
    // <or> v1 <or> v2 ...: the values are every other word.
    for (let i = 0; i < words.length; i += 2) if (words[i] === value) return true;
    return false;
  }
  return words.length > 0 && method!(value, words[0]);
}

/**
 * CapabilitiesFilter: every extra spec without a scope, or with the `capabilities:` scope, must be met by
 * the pool's capability of that name (`capabilities:a:b` looks into nested values); other scopes (vendor
 * keys, `RESKEY:`) are not the scheduler's. A list-valued capability passes if any element does; the
 * storage protocol counts in any of its spellings.
 */
export function satisfiesExtraSpecs(capabilities: Record<string, unknown>, extraSpecs: Record<string, string>): boolean {
  for (const [key, req] of Object.entries(extraSpecs)) {
    const scope = key.split(':');
    if (scope.length > 1 && scope[0] !== 'capabilities') continue;
    if (scope[0] === 'capabilities') scope.shift();
    let cap: unknown = capabilities;
    for (const part of scope) {
      if (cap === null || typeof cap !== 'object' || !Object.hasOwn(cap, part)) return false;
      cap = (cap as Record<string, unknown>)[part];
    }
    if (scope.length === 1 && scope[0] === 'storage_protocol') cap = protocolVariants(cap);
    const values = Array.isArray(cap) ? cap : [cap];
    if (!values.some((v) => matchesRequirement(v, req))) return false;
  }
  return true;
}
