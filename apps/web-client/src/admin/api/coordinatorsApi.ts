import { CoordinatorSummary } from '@flock/fl-core/protocol';
import { useEffect, useState } from 'react';
import { adminCall, type ApiResult } from './adminApi.ts';

/** As often as coordinators write their heartbeats: a stopped one shows within a few seconds. */
const REFRESH_MS = 2_000;

/** The coordinators sharing this one's database (`GET /api/coordinators`), asked for again every few seconds; null before the first answer. */
export function useCoordinators(token: string): ApiResult<CoordinatorSummary[]> | null {
  const [coordinators, setCoordinators] = useState<ApiResult<CoordinatorSummary[]> | null>(null);
  useEffect(() => {
    let current = true;
    const load = () => void adminCall(token, 'GET', '/api/coordinators', CoordinatorSummary.array()).then((result) => current && setCoordinators(result));
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      current = false;
      clearInterval(timer);
    };
  }, [token]);
  return coordinators;
}
