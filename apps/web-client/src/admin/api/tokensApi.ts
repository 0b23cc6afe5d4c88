import { LoginReply, MintedToken, TokenRecord } from '@flock/fl-core/protocol';
import { adminCall, reasonOf, type ApiResult } from './adminApi.ts';

/** Exchanges the admin secret or a viewer token for a session token (`POST /api/auth/login`). */
export async function logIn(secret: string): Promise<ApiResult<LoginReply>> {
  let response: Response;
  try {
    response = await fetch('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: secret }) });
  } catch (err) {
    return { ok: false, status: 0, reason: `coordinator not reachable: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (!response.ok) return { ok: false, status: response.status, reason: await reasonOf(response) };
  const parsed = LoginReply.safeParse(await response.json().catch(() => null));
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, status: response.status, reason: 'the login reply is malformed' };
}

export type TokenRequest = ({ role: 'viewer' } | { role: 'device'; federationId: string }) & { expiresIn: string; label?: string };

export function listTokens(token: string): Promise<ApiResult<TokenRecord[]>> {
  return adminCall(token, 'GET', '/api/tokens', TokenRecord.array());
}

export function createToken(token: string, request: TokenRequest): Promise<ApiResult<MintedToken>> {
  return adminCall(token, 'POST', '/api/tokens', MintedToken, request);
}

export function revokeToken(token: string, id: string): Promise<ApiResult<TokenRecord>> {
  return adminCall(token, 'DELETE', `/api/tokens/${encodeURIComponent(id)}`, TokenRecord);
}
