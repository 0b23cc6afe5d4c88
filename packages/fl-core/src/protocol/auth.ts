import { z } from 'zod';

/** admin: everything; viewer: read-only dashboard and read routes; device: join one federation. */
export const Role = z.enum(['admin', 'viewer', 'device']);
export type Role = z.infer<typeof Role>;

/**
 * Every token the coordinator signs (REST `/api/auth/login`, `/api/tokens`): `session` (the dashboard's,
 * from logging in), `viewer` (minted for a person to log in with), `enrollment` (joins one
 * enrollment-only federation), `device` (the credential a device id is bound to on its first hello).
 * The token itself is shown once, when minted.
 */
export const TokenKind = z.enum(['session', 'viewer', 'enrollment', 'device']);
export type TokenKind = z.infer<typeof TokenKind>;

export const TokenRecord = z.object({
  id: z.string(),
  kind: TokenKind,
  role: Role,
  federationId: z.string().nullable(),
  deviceId: z.string().nullable(),
  label: z.string().nullable(),
  createdAt: z.string(),
  expiresAt: z.string(),
  revokedAt: z.string().nullable(),
});
export type TokenRecord = z.infer<typeof TokenRecord>;

export const MintedToken = TokenRecord.extend({ token: z.string() });
export type MintedToken = z.infer<typeof MintedToken>;

/** What logging in with the admin secret or a viewer token gives: a session token for the dashboard. */
export const LoginReply = z.object({ token: z.string(), role: z.enum(['admin', 'viewer']), expiresAt: z.string() });
export type LoginReply = z.infer<typeof LoginReply>;
