import type { DeviceInfo, EventLogEntry, FederationConfig, FederationSummary, MintedToken, RoundRecord, TokenRecord } from '@flock/fl-core';

type Method = 'GET' | 'POST' | 'DELETE';

export type TokenRequest = ({ role: 'viewer' } | { role: 'device'; federationId: string }) & { expiresIn?: string; label?: string };

/** The admin REST API, as the CLI and the benchmarks use it. Every refusal surfaces the coordinator's reason. */
export class CoordinatorClient {
  constructor(
    readonly url: string,
    private readonly token: string,
  ) {}

  createFederation(config: FederationConfig): Promise<FederationSummary> {
    return this.call('POST', '/api/federations', config);
  }

  start(federationId: string): Promise<FederationSummary> {
    return this.call('POST', `/api/federations/${federationId}/start`, {});
  }

  stop(federationId: string): Promise<FederationSummary> {
    return this.call('POST', `/api/federations/${federationId}/stop`, {});
  }

  /** Every federation, archived ones too when asked. */
  federations(includeArchived = false): Promise<FederationSummary[]> {
    return this.call('GET', `/api/federations${includeArchived ? '?archived=true' : ''}`);
  }

  federation(federationId: string): Promise<FederationSummary> {
    return this.call('GET', `/api/federations/${federationId}`);
  }

  rounds(federationId: string): Promise<RoundRecord[]> {
    return this.call('GET', `/api/federations/${federationId}/rounds`);
  }

  devices(federationId: string): Promise<DeviceInfo[]> {
    return this.call('GET', `/api/federations/${federationId}/devices`);
  }

  /** The newest 500 events of the federation, oldest first. */
  events(federationId: string): Promise<EventLogEntry[]> {
    return this.call('GET', `/api/federations/${federationId}/events`);
  }

  /** Mints a viewer token, or an enrollment token for one federation (role `device`); `expiresIn` like 7d. */
  createToken(request: TokenRequest): Promise<MintedToken> {
    return this.call('POST', '/api/tokens', request);
  }

  revokeToken(id: string): Promise<TokenRecord> {
    return this.call('DELETE', `/api/tokens/${encodeURIComponent(id)}`);
  }

  /** Viewer and enrollment tokens, newest first (one federation's enrollment tokens with `federationId`). */
  tokens(federationId?: string): Promise<TokenRecord[]> {
    return this.call('GET', `/api/tokens${federationId ? `?federation=${encodeURIComponent(federationId)}` : ''}`);
  }

  private async call<T>(method: Method, path: string, body?: unknown): Promise<T> {
    const response = await this.send(method, path, body);
    const payload = (await response.json().catch(() => null)) as unknown;
    if (!response.ok) {
      const reason = (payload as { reason?: string } | null)?.reason ?? response.statusText;
      throw new Error(`${method} ${path}: HTTP ${response.status}: ${reason}`);
    }
    return payload as T;
  }

  /**
   * A GET that fails on the network (a kept-alive connection reset under load: seen after 3 minutes
   * of a GPU simulation) is sent again, up to 3 times; a POST is not, since it may have taken effect.
   */
  private async send(method: Method, path: string, body: unknown, attempt = 1): Promise<Response> {
    try {
      return await this.fetchOnce(method, path, body);
    } catch (err) {
      if (method !== 'GET' || attempt >= 3) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      return this.send(method, path, body, attempt + 1);
    }
  }

  private fetchOnce(method: Method, path: string, body: unknown): Promise<Response> {
    return fetch(new URL(path, this.url), {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }
}
