/* Everything the API layer needs, built once per process by the entry points (and by tests). */
import type { Config } from '../config';
import type { Store } from '../db/store';
import type { Logger } from '../log';
import type { QuotaService } from '../services/quota-service';
import type { VolumeService } from '../services/volume-service';
import type { VolumeActionService } from '../services/volume-action-service';
import type { AttachmentService } from '../services/attachment-service';
import type { SnapshotService } from '../services/snapshot-service';
import type { BackupService } from '../services/backup-service';
import type { TypeService } from '../services/volume-type-service';
import type { TransferService } from '../services/transfer-service';
import type { MessageService } from '../services/message-service';
import type { QosSpecService } from '../services/qos-spec-service';
import type { EncryptionTypeService } from '../services/encryption-type-service';
import type { Scheduler } from '../services/scheduler';
import type { ServiceRegistry } from '../services/service-registry';
import type { MigrationService } from '../services/migration-service';
import type { AuthStrategy } from './middleware/auth';
// --- generic volume groups (issue 16) ---
import type { GroupTypeService } from '../services/group-type-service';
import type { GroupService } from '../services/group-service';
// --- health (issue 18) ---
import type { HealthService } from '../services/health-service';

export interface ApiDeps {
  config: Config;
  store: Store;
  log: Logger;
  volumes: VolumeService;
  /** Snapshots, their metadata and actions; `revertVolume` for the volume `revert` action. */
  snapshots: SnapshotService;
  /** Backups: create, lists, update, delete, admin actions, restore, export/import (docs/api.md). */
  backups: BackupService;
  /** Volume actions (POST /volumes/{id}/action) and the attachments API (3.27+). */
  actions: VolumeActionService;
  /** os-migrate_volume and os-migrate_volume_completion (issue 16). */
  migrations: MigrationService;
  attachments: AttachmentService;
  types: TypeService;
  /** QoS specs and their volume-type associations (admin). */
  qosSpecs: QosSpecService;
  /** Volume-type encryption specs (admin). */
  encryptionTypes: EncryptionTypeService;
  quota: QuotaService;
  /** Volume transfers (os-volume-transfer, volume-transfers). */
  transfers: TransferService;
  /** User messages (3.3+). */
  messages: MessageService;
  /** Pools and backend capabilities (issue 15). */
  scheduler: Scheduler;
  /** os-services, os-hosts, clusters, workers cleanup (issue 15). */
  registry: ServiceRegistry;
  // --- generic volume groups (issue 16) ---
  groupTypes: GroupTypeService;
  /** Groups and group snapshots (3.13+). */
  groups: GroupService;
  auth: AuthStrategy;
  // --- health (issue 18) ---
  /** /healthcheck's checks and the metrics' store gauges. */
  health: HealthService;
}
