import { ModelRef } from '@flock/fl-core/protocol';

/**
 * The federation's model, as `GET /api/federations/<id>/dataset` names it (device-facing, before
 * joining): the backend chooser times this model. Null when the coordinator cannot say.
 */
export async function fetchFederationModel(federationId: string): Promise<ModelRef | null> {
  try {
    const response = await fetch(`/api/federations/${encodeURIComponent(federationId)}/dataset`);
    const parsed = ModelRef.safeParse(response.ok ? ((await response.json()) as { model?: unknown }).model : null);
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
