/* Backend drivers by name. A new driver adds one entry here and one value to config `backend.name`. */
import type { Config } from '../../config';
import type { VolumeBackend } from './backend';
import { FileBackend } from './file-backend';

export function createBackend(config: Pick<Config, 'backend'>): VolumeBackend {
  switch (config.backend.name) {
    case 'file':
      return new FileBackend(config.backend.path);
  }
}

export type { VolumeBackend } from './backend';
