/* Everything the API layer needs, built once per process by the entry points (and by tests). */
import type { Config } from '../config';
import type { Store } from '../db/store';
import type { Logger } from '../log';
import type { QuotaService } from '../volume/quota';
import type { VolumeService } from '../volume/service';
import type { TypeService } from '../volume/type-service';
import type { AuthStrategy } from './middleware/auth';

export interface ApiDeps {
  config: Config;
  store: Store;
  log: Logger;
  volumes: VolumeService;
  types: TypeService;
  quota: QuotaService;
  auth: AuthStrategy;
}
