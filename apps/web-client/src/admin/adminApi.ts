import { EventLogEntry } from '@flock/fl-core/protocol';

export type FederationAction = 'start' | 'pause' | 'resume' | 'stop';

export type ActionResult = { ok: true } | { ok: false; status: number; reason: string };

/** `POST /api/federations/<id>/<action>` with the admin token; failures carry the server's reason. */
export async function postFederationAction(
  token: string,
  federationId: string,
  action: FederationAction,
): Promise<ActionResult> {
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

/** The one-file download of the federation's latest stored model (public, like the tfjs model route). */
export function modelDownloadUrl(federationId: string): string {
  return `/api/federations/${encodeURIComponent(federationId)}/model.flkw`;
}

/** `GET /api/federations/<id>/events`: the newest `limit` matching events, oldest first. */
export async function fetchEvents(
  token: string,
  federationId: string,
  query: { level?: EventLogEntry['level']; limit: number },
): Promise<{ ok: true; events: EventLogEntry[] } | { ok: false; status: number; reason: string }> {
  const params = new URLSearchParams({ limit: String(query.limit) });
  if (query.level) params.set('level', query.level);
  let response: Response;
  try {
    response = await fetch(`/api/federations/${encodeURIComponent(federationId)}/events?${params}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
  } catch (err) {
    return { ok: false, status: 0, reason: `coordinator not reachable: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (!response.ok) return { ok: false, status: response.status, reason: await reasonOf(response) };
  const parsed = EventLogEntry.array().safeParse(await response.json().catch(() => null));
  if (!parsed.success) return { ok: false, status: response.status, reason: 'the event log reply is malformed' };
  return { ok: true, events: parsed.data };
}

async function reasonOf(response: Response): Promise<string> {
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
