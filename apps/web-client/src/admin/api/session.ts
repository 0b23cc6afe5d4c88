import { createContext, useContext } from 'react';

export type DashboardRole = 'admin' | 'viewer';

/**
 * The role a session token carries, read from its payload for the UI only (the coordinator checks
 * every request itself). A token that is no JWT is the admin secret, kept from before logins.
 */
export function roleOfSession(token: string): DashboardRole {
  const payload = token.split('.')[1];
  if (payload === undefined) return 'admin';
  try {
    const claims = JSON.parse(atob(payload.replaceAll('-', '+').replaceAll('_', '/'))) as { role?: unknown };
    return claims.role === 'admin' ? 'admin' : 'viewer';
  } catch {
    return 'viewer';
  }
}

/** Who is looking at the dashboard: a viewer sees it read-only. */
export const RoleContext = createContext<DashboardRole>('viewer');

/** Whether to show the buttons that act (start, stop, create, edit, archive, tokens). */
export function useCanOperate(): boolean {
  return useContext(RoleContext) === 'admin';
}
