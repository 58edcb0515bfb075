/*
 * Backend drivers by name, and the set of backends one host runs (issue 16: Cinder's enabled_backends).
 * A new driver adds one entry in `createDriver` and one value to config `backend.name`.
 *
 * Each backend of the set is its own pool: a worker runs one loop per backend (host string
 * `host@<name>#<name>`), and the API finds the backend of a volume by the backend part of its host, for
 * connection info and for what it reads on this host (manageable volumes).
 */
import { serviceHostName, type Config, type VolumeBackendConfig } from '../../config';
import type { VolumeBackend, VolumeRef } from './backend';
import { FileBackend } from './file-backend';

function createDriver(backend: VolumeBackendConfig): VolumeBackend {
  switch (backend.driver) {
    case 'file':
      return new FileBackend(backend.path, { name: backend.name, capacityGb: backend.capacity_gb });
  }
}

/** The backend part of a host string `host@backend#pool` (null without one). */
export function backendNameOf(host: string | null | undefined): string | null {
  const at = host?.indexOf('@') ?? -1;
  return host && at >= 0 ? host.slice(at + 1).split('#')[0] : null;
}

export class BackendSet {
  /** In configuration order; the first is the default. */
  readonly all: readonly VolumeBackend[];
  /** This host's name (config worker.host, else the machine's). */
  readonly hostName: string;

  constructor(config: Pick<Config, 'volume_backends' | 'worker'>) {
    this.all = config.volume_backends.map(createDriver);
    this.hostName = serviceHostName(config);
  }

  get(name: string): VolumeBackend | undefined {
    return this.all.find((b) => b.name === name);
  }

  /** This host's backend that holds data placed at `host` (`host@backend#pool`); undefined when another host's. */
  forHost(host: string | null | undefined): VolumeBackend | undefined {
    if (!host) return this.all[0];
    if (host.split('@')[0] !== this.hostName) return undefined;
    const name = backendNameOf(host);
    return name === null ? undefined : this.get(name);
  }

  /**
   * How a host reaches a volume (ConnectionInfoSource for the API): asked of the backend its host names.
   * An API host that is not the volume's storage host answers for the backend of that name here.
   */
  connectionInfo(volume: VolumeRef & { host: string | null }, connector: Record<string, unknown>): Promise<Record<string, unknown>> {
    const backend = this.forHost(volume.host) ?? this.get(backendNameOf(volume.host) ?? '') ?? this.all[0];
    return backend.connectionInfo({ id: volume.id, size: volume.size }, connector);
  }

  /** `host@backend#pool` of one of this host's backends. */
  hostString(backend: VolumeBackend): string {
    return `${this.hostName}@${backend.name}#${backend.name}`;
  }
}

export type { VolumeBackend } from './backend';
