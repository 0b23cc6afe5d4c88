import type { CoordinatorHeartbeatInfo, CoordinatorInfo, CoordinatorRepository } from '../store.ts';

/** Coordinators heard from by this process (only itself, in practice), judged by its own clock. */
export class MemoryCoordinators implements CoordinatorRepository {
  private readonly heard = new Map<string, CoordinatorHeartbeatInfo & { lastSeen: Date }>();

  async heartbeat(info: CoordinatorHeartbeatInfo): Promise<void> {
    this.heard.set(info.id, { ...info, startedAt: new Date(info.startedAt), lastSeen: new Date() });
  }

  async list(aliveWithinMs: number): Promise<CoordinatorInfo[]> {
    const now = Date.now();
    return [...this.heard.values()]
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((c) => ({ ...c, startedAt: new Date(c.startedAt), lastSeen: new Date(c.lastSeen), alive: c.lastSeen.getTime() > now - aliveWithinMs }));
  }

  async remove(id: string): Promise<void> {
    this.heard.delete(id);
  }
}
