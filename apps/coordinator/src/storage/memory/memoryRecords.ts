import type { TokenRecord } from '@flock/fl-core';
import type { StoredUploadedModel, TokenRepository, UploadedModelInfo, UploadedModelRepository } from '../store.ts';
import { isoOf } from './memoryEvents.ts';

export class MemoryUploadedModels implements UploadedModelRepository {
  private readonly models = new Map<string, StoredUploadedModel>();

  async save(model: Omit<StoredUploadedModel, 'createdAt'>): Promise<UploadedModelInfo> {
    if (this.models.has(model.id)) throw new Error(`uploaded model "${model.id}" is already stored`);
    const stored = { ...structuredClone(model), createdAt: new Date().toISOString() };
    this.models.set(model.id, stored);
    return infoOf(stored);
  }

  async list(): Promise<UploadedModelInfo[]> {
    return [...this.models.values()].map(infoOf);
  }

  async get(id: string): Promise<StoredUploadedModel | null> {
    const stored = this.models.get(id);
    return stored ? structuredClone(stored) : null;
  }
}

function infoOf(m: StoredUploadedModel): UploadedModelInfo {
  return { id: m.id, name: m.name, inputShape: [...m.inputShape], numClasses: m.numClasses, parameters: m.parameters, createdAt: m.createdAt };
}

export class MemoryTokens implements TokenRepository {
  /** In signing order: the newest last. */
  private readonly records = new Map<string, TokenRecord>();

  async insert(record: Omit<TokenRecord, 'createdAt' | 'revokedAt'>): Promise<boolean> {
    if (this.records.has(record.id) || (record.kind === 'device' && this.liveCredential(record.federationId, record.deviceId))) return false;
    this.records.set(record.id, { ...record, expiresAt: isoOf(record.expiresAt), createdAt: new Date().toISOString(), revokedAt: null });
    return true;
  }

  async revoke(id: string): Promise<TokenRecord | null> {
    const record = this.records.get(id);
    if (!record) return null;
    record.revokedAt ??= new Date().toISOString();
    return { ...record };
  }

  async revokedIds(): Promise<string[]> {
    return [...this.records.values()].filter((r) => r.revokedAt !== null).map((r) => r.id);
  }

  async listMinted(federationId?: string): Promise<TokenRecord[]> {
    return [...this.records.values()]
      .reverse()
      .filter((r) => (r.kind === 'viewer' || r.kind === 'enrollment') && (federationId === undefined || r.federationId === federationId))
      .slice(0, 1000)
      .map((r) => ({ ...r }));
  }

  async isBound(federationId: string, deviceId: string): Promise<boolean> {
    const live = this.liveCredential(federationId, deviceId);
    if (live && Date.parse(live.expiresAt) < Date.now()) live.revokedAt = new Date().toISOString();
    return this.liveCredential(federationId, deviceId) !== undefined;
  }

  /** As a unique index: a credential without a federation or device id binds nothing. */
  private liveCredential(federationId: string | null, deviceId: string | null): TokenRecord | undefined {
    if (federationId === null || deviceId === null) return undefined;
    return [...this.records.values()].find((r) => r.kind === 'device' && r.federationId === federationId && r.deviceId === deviceId && r.revokedAt === null);
  }
}
