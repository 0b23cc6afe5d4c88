export type FederationAction = 'start' | 'stop';

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
