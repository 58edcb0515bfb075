/* The caller of a request, as the auth strategy established it. Services take it as their first argument. */
export interface RequestContext {
  readonly userId: string;
  readonly projectId: string;
  readonly isAdmin: boolean;
  readonly roles: readonly string[];
  readonly requestId: string;
  readonly globalRequestId?: string;
}

/** Whether the caller may see a resource of `projectId`: its own project's, or any for an admin. */
export function canSee(ctx: RequestContext, projectId: string): boolean {
  return ctx.isAdmin || projectId === ctx.projectId;
}
