import { FederationSummary } from '@flock/fl-core/protocol';
import { type FederationConfig } from '@flock/fl-core/config';

export type FederationAction = 'start' | 'pause' | 'resume' | 'stop';

export type ActionResult = { ok: true } | { ok: false; status: number; reason: string };

/** `POST /api/federations/<id>/<action>` with the admin token; failures carry the server's reason. */
export async function postFederationAction(token: string, federationId: string, action: FederationAction): Promise<ActionResult> {
  let response: Response;
  try {
    response = await fetch(`/api/federations/${encodeURIComponent(federationId)}/${action}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
    });
  } catch (err) {
    return { ok: false, status: 0, reason: `coordinator not reachable: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (response.ok) return { ok: true };
  return { ok: false, status: response.status, reason: await reasonOf(response) };
}

export type ApiResult<T> = { ok: true; value: T } | { ok: false; status: number; reason: string };

/** An admin REST call with the token; the reply is checked against `schema`, a refusal carries the coordinator's reason. */
export async function adminCall<T>(
  token: string,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } },
  body?: unknown,
): Promise<ApiResult<T>> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (err) {
    return { ok: false, status: 0, reason: `coordinator not reachable: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (!response.ok) return { ok: false, status: response.status, reason: await reasonOf(response) };
  const parsed = schema.safeParse(await response.json().catch(() => null));
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, status: response.status, reason: `the reply to ${method} ${path} is malformed` };
}

const federationPath = (id: string) => `/api/federations/${encodeURIComponent(id)}`;

export function listFederations(token: string, includeArchived: boolean): Promise<ApiResult<FederationSummary[]>> {
  return adminCall(token, 'GET', `/api/federations${includeArchived ? '?archived=true' : ''}`, FederationSummary.array());
}

export function createFederation(token: string, config: FederationConfig): Promise<ApiResult<FederationSummary>> {
  return adminCall(token, 'POST', '/api/federations', FederationSummary, config);
}

/** Before the first start: every field but the id is replaced by the config's. */
export function editFederation(token: string, config: FederationConfig): Promise<ApiResult<FederationSummary>> {
  const { id, ...fields } = config;
  return adminCall(token, 'PATCH', federationPath(id), FederationSummary, fields);
}

export function cloneFederation(token: string, federationId: string, clone: { id: string; name?: string }): Promise<ApiResult<FederationSummary>> {
  return adminCall(token, 'POST', `${federationPath(federationId)}/clone`, FederationSummary, clone);
}

export function archiveFederation(token: string, federationId: string, archived: boolean): Promise<ApiResult<FederationSummary>> {
  return adminCall(token, 'POST', `${federationPath(federationId)}/${archived ? 'archive' : 'unarchive'}`, FederationSummary);
}

const MintedToken = {
  safeParse: (v: unknown): { success: true; data: string } | { success: false } =>
    typeof v === 'object' && v !== null && typeof (v as { token?: unknown }).token === 'string'
      ? { success: true, data: (v as { token: string }).token }
      : { success: false },
};

/** A per-federation enrollment token (admins only): the join link of an enrollment-only federation carries it. */
export function mintEnrollmentToken(token: string, federationId: string): Promise<ApiResult<string>> {
  return adminCall(token, 'POST', '/api/tokens', MintedToken, { role: 'device', federationId, label: 'dashboard join link' });
}

/** `GET /api/federations/<id>/rounds?format=csv|json` as a file. */
export function downloadRounds(token: string, federationId: string, format: 'csv' | 'json'): Promise<ApiResult<string>> {
  return downloadFile(token, `${federationPath(federationId)}/rounds?format=${format}`, `flock-${federationId}-rounds.${format}`);
}

/**
 * The latest stored global model in Flock's weights file (`model.flkw`), named as the coordinator names
 * it: with the token, since an enrollment-only federation's model is for its members only.
 */
export function downloadModel(token: string, federationId: string): Promise<ApiResult<string>> {
  return downloadFile(token, `${federationPath(federationId)}/model.flkw`, `flock-${federationId}-model.flkw`);
}

/** A GET fetched with the token, then saved through a blob link (a plain link cannot carry the token). */
async function downloadFile(token: string, path: string, fallbackName: string): Promise<ApiResult<string>> {
  let response: Response;
  try {
    response = await fetch(path, { headers: { Authorization: `Bearer ${token}` } });
  } catch (err) {
    return { ok: false, status: 0, reason: `coordinator not reachable: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (!response.ok) return { ok: false, status: response.status, reason: await reasonOf(response) };
  const filename = /filename="?([^";]+)"?/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  const link = document.createElement('a');
  link.href = URL.createObjectURL(await response.blob());
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  return { ok: true, value: filename };
}

export async function reasonOf(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    for (const key of ['reason', 'error', 'message']) {
      if (typeof body[key] === 'string' && body[key]) return body[key];
    }
  } catch {
    // not JSON: fall through to the text itself
  }
  return text.trim() || `HTTP ${response.status} ${response.statusText}`.trim();
}
