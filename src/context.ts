/* The caller of a request, as the auth strategy established it. Services take it as their first argument. */
export interface RequestContext {
  readonly userId: string;
  readonly projectId: string;
  readonly isAdmin: boolean;
  readonly roles: readonly string[];
  readonly requestId: string;
  readonly globalRequestId?: string;
}
