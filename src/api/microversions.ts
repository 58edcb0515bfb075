/*
 * Microversions: named constants for every version the code checks, and the parser for the
 * `OpenStack-API-Version: volume X.Y` request header. The history of what each version added is in
 * docs/microversions.md; a new constant needs a line there.
 */
import { BadRequestError, NotAcceptableVersionError } from '../errors';

export class ApiVersion {
  constructor(
    readonly major: number,
    readonly minor: number,
  ) {}

  static parse(text: string): ApiVersion {
    const m = /^([1-9]\d*)\.(0|[1-9]\d*)$/.exec(text);
    if (!m) throw new BadRequestError(`API Version String ${text} is of invalid format. Must be of format MajorNum.MinorNum.`);
    return new ApiVersion(Number(m[1]), Number(m[2]));
  }

  compare(other: ApiVersion): number {
    return this.major - other.major || this.minor - other.minor;
  }

  atLeast(other: ApiVersion): boolean {
    return this.compare(other) >= 0;
  }

  toString(): string {
    return `${this.major}.${this.minor}`;
  }
}

const v = (minor: number) => new ApiVersion(3, minor);

export const MIN_VERSION = v(0);
export const MAX_VERSION = v(70);
/** The `updated` date of the 3.70 version document (Zed). */
export const VERSION_UPDATED = '2022-08-31T00:00:00Z';

/** Named microversions (cinder/api/microversions.py). */
export const MV = {
  BOOTABLE_FILTER_STRICT: v(2),
  MESSAGES: v(3),
  MESSAGES_PAGINATION: v(5),
  CLUSTER_SUPPORT: v(7),
  BACKUP_UPDATE: v(9),
  // --- generic volume groups (issue 16): VOLUME_LIST_GROUP to GROUP_GROUPSNAPSHOT_PROJECT_ID ---
  VOLUME_LIST_GROUP: v(10),
  GROUP_TYPE: v(11),
  VOLUME_SUMMARY: v(12),
  GROUP_VOLUME: v(13),
  GROUP_SNAPSHOTS: v(14),
  GROUP_SNAPSHOT_RESET_STATUS: v(19),
  GROUP_VOLUME_RESET_STATUS: v(20),
  GROUP_VOLUME_LIST: v(25),
  GROUP_SNAPSHOT_PAGINATION: v(29),
  GROUP_REPLICATION: v(38),
  GROUP_GROUPSNAPSHOT_PROJECT_ID: v(58),
  METADATA_ETAG: v(15),
  VOLUME_MIGRATE_CLUSTER: v(16),
  BACKUP_PROJECT: v(18),
  VOLUME_DETAIL_PROVIDER_ID: v(21),
  SNAPSHOT_LIST_METADATA_FILTER: v(22),
  VOLUME_DELETE_FORCE: v(23),
  WORKERS_CLEANUP: v(24),
  REPLICATION_CLUSTER: v(26),
  NEW_ATTACH: v(27),
  POOL_FILTER: v(28),
  SNAPSHOT_SORT: v(30),
  RESOURCE_FILTER: v(31),
  LOG_LEVEL: v(32),
  RESOURCE_FILTER_CONFIG: v(33),
  LIKE_FILTER: v(34),
  POOL_TYPE_FILTER: v(35),
  VOLUME_SUMMARY_METADATA: v(36),
  BACKUP_SORT_NAME: v(37),
  LIMITS_ADMIN_FILTER: v(39),
  VOLUME_REVERT: v(40),
  SNAPSHOT_LIST_USER_ID: v(41),
  VOLUME_EXTEND_INUSE: v(42),
  BACKUP_METADATA: v(43),
  NEW_ATTACH_COMPLETION: v(44),
  SUPPORT_COUNT_INFO: v(45),
  VOLUME_SHARED_TARGETS_AND_SERVICE_FIELDS: v(48),
  BACKEND_STATE_REPORT: v(49),
  BACKUP_AZ: v(51),
  SUPPORT_VOLUME_SCHEMA_CHANGES: v(53),
  ATTACHMENT_CREATE_MODE_ARG: v(54),
  TRANSFER_WITH_SNAPSHOTS: v(55),
  BACKUP_USER_ID: v(56),
  TRANSFER_WITH_HISTORY: v(57),
  TRANSFER_WITH_PAGINATION: v(59),
  VOLUME_TIME_COMPARISON_FILTER: v(60),
  VOLUME_CLUSTER_NAME: v(61),
  VOLUME_TYPE_DEFAULT_OVERRIDES: v(62),
  VOLUME_TYPE_ID_IN_VOLUME_DETAIL: v(63),
  ENCRYPTION_KEY_ID_IN_DETAILS: v(64),
  USE_QUOTA: v(65),
  SNAPSHOT_IN_USE: v(66),
  SHARED_TARGETS_TRISTATE: v(69),
  TRANSFER_ENCRYPTED_VOLUME: v(70),
} as const;

/**
 * Picks the volume entry of an `OpenStack-API-Version` header. No header: 3.0. `latest`: the maximum.
 * Malformed: 400. Out of range: 406 (Cinder's computeFault), with the requested text kept for the
 * response header.
 */
export function negotiateVersion(header: string | undefined): ApiVersion {
  if (header === undefined || header.trim() === '') return MIN_VERSION;
  const entry = header
    .split(',')
    .map((s) => s.trim())
    .find((s) => s.toLowerCase().startsWith('volume'));
  if (entry === undefined) {
    throw new BadRequestError('The server could not comply with the request since it is either malformed or otherwise incorrect.');
  }
  const text = entry.slice('volume'.length).trim();
  if (text.toLowerCase() === 'latest') return MAX_VERSION;
  const version = ApiVersion.parse(text);
  if (version.compare(MIN_VERSION) < 0 || version.compare(MAX_VERSION) > 0) {
    throw new NotAcceptableVersionError(`Version ${text} is not supported by the API. Minimum is ${MIN_VERSION} and maximum is ${MAX_VERSION}.`);
  }
  return version;
}
