/* Microversions of the backup API (cinder/api/microversions.py), kept beside the shared MV table. */
import { ApiVersion } from './microversions';

export const BACKUP_MV = {
  /** PUT /backups/{id}. */
  BACKUP_UPDATE: new ApiVersion(3, 9),
  /** `os-backup-project-attr:project_id` in show/detail (admin). */
  BACKUP_PROJECT: new ApiVersion(3, 18),
  /** sort by `name`. */
  BACKUP_SORT_NAME: new ApiVersion(3, 37),
  /** `metadata` on create, update and in show/detail. */
  BACKUP_METADATA: new ApiVersion(3, 43),
  /** `availability_zone` on create. */
  BACKUP_AZ: new ApiVersion(3, 51),
  /** `user_id` in show/detail (admin). */
  BACKUP_USER_ID: new ApiVersion(3, 56),
} as const;
