import { RoundSeries } from '@flock/fl-core/protocol';
import { useEffect, useState } from 'react';
import { adminCall, type ApiResult } from './adminApi.ts';

/** Points a chart draws at most (a few hundred bars cost a phone seconds to draw): the coordinator buckets longer federations evenly. */
const MAX_POINTS = 120;

/** The per-round series the charts read (`/round-series`), fetched again when the live feed says something changed. */
export function useRoundSeries(token: string, federationId: string, refreshKey: number): ApiResult<RoundSeries> | null {
  const [series, setSeries] = useState<ApiResult<RoundSeries> | null>(null);
  useEffect(() => {
    let current = true;
    const path = `/api/federations/${encodeURIComponent(federationId)}/round-series?maxPoints=${MAX_POINTS}`;
    void adminCall(token, 'GET', path, RoundSeries).then((result) => current && setSeries(result));
    return () => {
      current = false;
    };
  }, [token, federationId, refreshKey]);
  return series;
}
