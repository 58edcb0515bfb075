/* Operation kinds and their handlers. The service enqueues by kind; the worker dispatches here. */
import { createVolume } from './create-volume';
import { deleteVolume } from './delete-volume';
import type { OperationHandler } from './types';

export const OPERATION_HANDLERS: Record<string, OperationHandler> = {
  create_volume: createVolume,
  delete_volume: deleteVolume,
};

export type OperationKind = 'create_volume' | 'delete_volume';
