import type { APIRequestContext } from '@playwright/test';

/** Shared by playwright.config.ts (which starts the coordinator) and the specs (which call it). */
export const E2E_ADMIN_TOKEN = 'e2e-admin-token-0123456789';
export const adminHeaders = { Authorization: `Bearer ${E2E_ADMIN_TOKEN}` };

export interface RoundRow {
  round: number;
  participants: number;
  examples: number;
  accuracy: number | null;
  loss: number | null;
  durationMs: number;
  bytesUp: number;
  bytesDown: number;
  completedAt: string;
}

export interface DeviceRow {
  connected: boolean;
  state: string;
  examples: number;
  roundsContributed: number;
}

export async function fetchDevices(request: APIRequestContext, federationId: string): Promise<DeviceRow[]> {
  const res = await request.get(`/api/federations/${federationId}/devices`, { headers: adminHeaders });
  if (!res.ok()) throw new Error(`GET devices: ${res.status()} ${await res.text()}`);
  return (await res.json()) as DeviceRow[];
}

export async function fetchRounds(request: APIRequestContext, federationId = 'demo'): Promise<RoundRow[]> {
  const res = await request.get(`/api/federations/${federationId}/rounds`, { headers: adminHeaders });
  if (!res.ok()) throw new Error(`GET rounds: ${res.status()} ${await res.text()}`);
  return (await res.json()) as RoundRow[];
}
