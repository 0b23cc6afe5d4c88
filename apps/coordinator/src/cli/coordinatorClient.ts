import type { DeviceInfo, EventLogEntry, FederationConfig, FederationSummary, MintedToken, RoundRecord, TokenRecord } from '@flock/fl-core';
import { reconnectDelayMs } from '@flock/fl-core/device';
import { fetchWithin } from '@flock/fl-core/node';
import type { QueryRecord } from '../analytics/queryBook.ts';

/** A REST call that has not answered in this long is given up (and retried where that is safe). */
const CALL_TIMEOUT_MS = 120_000;

type Method = 'GET' | 'POST' | 'DELETE';

/** How long calls keep trying a coordinator that does not answer (a restart), and whom they tell. */
export interface RetryPolicy {
  /** 0: a call fails at once (a GET still tries 3 times). */
  retryForMs: number;
  /** Told once when the coordinator stops answering, and once when it is back. */
  onWaiting?: (message: string) => void;
}

/** A GET whose connection was reset (kept alive under load: seen after 3 minutes of a GPU simulation) is sent this often. */
const GET_ATTEMPTS = 3;

export type TokenRequest = ({ role: 'viewer' } | { role: 'device'; federationId: string }) & { expiresIn?: string; label?: string };

/** The admin REST API, as the CLI and the benchmarks use it. Every refusal surfaces the coordinator's reason. */
export class CoordinatorClient {
  constructor(
    readonly url: string,
    private readonly token: string,
    private readonly retry: RetryPolicy = { retryForMs: 0 },
    /** The flag that names the coordinator, for the next step an error gives: --url, or simulate's --server. */
    private readonly urlFlag = '--url',
  ) {}

  /** When the coordinator stopped answering (null: it answers). */
  private unreachableSince: number | null = null;

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

  /** Queues a federated-analytics query (README, Federated analytics); the record's id reads it back with `query`. */
  submitQuery(federationId: string, body: unknown): Promise<QueryRecord> {
    return this.call('POST', `/api/federations/${federationId}/queries`, body);
  }

  /** A query's record: its status and, once done, its result (or why it was refused). */
  query(federationId: string, queryId: string): Promise<QueryRecord> {
    return this.call('GET', `/api/federations/${federationId}/queries/${encodeURIComponent(queryId)}`);
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

  /** A backup file of the coordinator's data, taken while it runs (storage/pglite/backup.ts). */
  async backup(): Promise<Uint8Array> {
    const response = await this.send('POST', '/api/admin/backup', undefined);
    if (!response.ok) throw await this.refusal('POST', '/api/admin/backup', response);
    return new Uint8Array(await response.arrayBuffer());
  }

  private async call<T>(method: Method, path: string, body?: unknown): Promise<T> {
    const response = await this.send(method, path, body);
    if (!response.ok) throw await this.refusal(method, path, response);
    return (await response.json().catch(() => null)) as T;
  }

  /**
   * Tries again, on the devices' reconnection schedule and for up to `retry.retryForMs`, what surely
   * did not take effect: any call the coordinator refused to connect or answered 503 (starting or
   * restarting), and a GET whatever failed on the way (a reset, a 502 or 504 from a proxy). A POST
   * whose connection was reset is not sent again, since it may have taken effect. A refused connection
   * without a retry window fails at once: no coordinator runs there.
   */
  private async send(method: Method, path: string, body: unknown): Promise<Response> {
    const giveUpAt = Date.now() + this.retry.retryForMs;
    for (let attempt = 0; ; attempt++) {
      let failure: string;
      let response: Response | null = null;
      let nobodyThere = false;
      try {
        response = await this.fetchOnce(method, path, body);
        if (!retriableStatus(method, response.status)) {
          this.reachable();
          return response;
        }
        failure = `HTTP ${response.status}`;
      } catch (err) {
        failure = networkFailure(err);
        nobodyThere = connectionRefused(err) || causeOf(err)?.code === 'ENOTFOUND';
        if (method !== 'GET' && !nobodyThere) {
          throw new Error(
            `the connection to the coordinator at ${this.url} broke during ${method} ${path} (${failure}); it may have taken effect: ` +
              `check with \`flockctl federation status --url ${this.url}\` before trying again`,
            { cause: err },
          );
        }
      }
      const delay = reconnectDelayMs(attempt);
      const mayRetry = Date.now() + delay <= giveUpAt || (method === 'GET' && !nobodyThere && attempt + 1 < GET_ATTEMPTS);
      if (!mayRetry) {
        if (response) return response;
        const waited = this.unreachableSince === null ? '' : ` for ${Math.round((Date.now() - this.unreachableSince) / 1000)} s`;
        throw new Error(
          `no coordinator answers at ${this.url}${waited} (${failure}): start one with \`flockctl serve\`, or pass ${this.urlFlag} with the address of one that runs`,
        );
      }
      this.unreachable(failure);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  private unreachable(failure: string): void {
    if (this.unreachableSince !== null) return;
    this.unreachableSince = Date.now();
    if (this.retry.retryForMs > 0)
      this.retry.onWaiting?.(`coordinator at ${this.url} unreachable (${failure}); retrying for up to ${Math.round(this.retry.retryForMs / 1000)} s`);
  }

  private reachable(): void {
    if (this.unreachableSince === null) return;
    const seconds = Math.round((Date.now() - this.unreachableSince) / 1000);
    this.unreachableSince = null;
    if (this.retry.retryForMs > 0) this.retry.onWaiting?.(`coordinator at ${this.url} answers again (after ${seconds} s)`);
  }

  private async refusal(method: Method, path: string, response: Response): Promise<Error> {
    const payload = (await response.json().catch(() => null)) as { reason?: string } | null;
    return new Error(`the coordinator at ${this.url} refused ${method} ${path}: HTTP ${response.status}: ${payload?.reason ?? response.statusText}`);
  }

  private fetchOnce(method: Method, path: string, body: unknown): Promise<Response> {
    return fetchWithin(new URL(path, this.url), CALL_TIMEOUT_MS, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }
}

function retriableStatus(method: Method, status: number): boolean {
  return status === 503 || (method === 'GET' && (status === 502 || status === 504));
}

/** undici's `fetch failed` carries the socket's error as its cause. */
function causeOf(err: unknown): { code?: string; message?: string } | null {
  const cause = (err as { cause?: unknown } | null)?.cause;
  return typeof cause === 'object' && cause !== null ? (cause as { code?: string; message?: string }) : null;
}

function connectionRefused(err: unknown): boolean {
  return causeOf(err)?.code === 'ECONNREFUSED';
}

/** What a failed fetch ran into, in few words: ECONNREFUSED, ENOTFOUND, ... */
export function networkFailure(err: unknown): string {
  const cause = causeOf(err);
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}
