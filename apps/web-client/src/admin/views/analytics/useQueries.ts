import { useCallback, useEffect, useState } from 'react';
import { listQueries, type QueryRecord } from '../../api/queriesApi.ts';
import { anyUnfinished } from './resultShape.ts';

/** While a query waits or runs, its list is fetched again this often (queries take seconds, not minutes). */
const POLL_MS = 1_000;

export interface Queries {
  records: QueryRecord[];
  problem: string | null;
  /** Fetch the list now (after asking a query). */
  refresh: () => void;
}

/** The federation's queries, newest first: fetched when the view opens and the feed says something changed, and polled while one is unfinished. */
export function useQueries(token: string, federationId: string, changes: number): Queries {
  const [records, setRecords] = useState<QueryRecord[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [asked, setAsked] = useState(0);

  const refresh = useCallback(() => setAsked((n) => n + 1), []);

  useEffect(() => {
    let live = true;
    void listQueries(token, federationId).then((listed) => {
      if (!live) return;
      if (listed.ok) {
        setRecords(listed.value);
        setProblem(null);
      } else {
        setProblem(`Could not load the queries: ${listed.reason}. The list is loaded again when the federation changes, or reload the page.`);
      }
    });
    return () => {
      live = false;
    };
  }, [token, federationId, changes, asked]);

  const unfinished = anyUnfinished(records);
  useEffect(() => {
    if (!unfinished) return;
    const timer = setInterval(refresh, POLL_MS);
    return () => clearInterval(timer);
  }, [unfinished, refresh]);

  return { records, problem, refresh };
}
