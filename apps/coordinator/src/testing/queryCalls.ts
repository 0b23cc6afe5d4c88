import type { QueryRecord } from '../analytics/queryBook.ts';
import { restOk } from './restCalls.ts';
import { until } from './testCoordinator.ts';

/** Submits a query to `federationId` as `token` and waits until it is done or refused. */
export async function askQuery(baseUrl: string, token: string, federationId: string, body: unknown): Promise<QueryRecord> {
  const queued = await restOk<QueryRecord>(baseUrl, token, 'POST', `/api/federations/${federationId}/queries`, body);
  return until(async () => {
    const record = await restOk<QueryRecord>(baseUrl, token, 'GET', `/api/federations/${federationId}/queries/${queued.id}`);
    return record.status === 'done' || record.status === 'refused' ? record : undefined;
  }, `query ${queued.id} to finish`);
}
