import { useState } from 'react';
import { downloadRounds } from '../api/adminApi.ts';

/** CSV and JSON downloads of every round record (`GET /api/federations/<id>/rounds?format=`). */
export function RoundsExport({ token, federationId }: { token: string; federationId: string }) {
  const [problem, setProblem] = useState<string | null>(null);
  const save = async (format: 'csv' | 'json') => {
    const result = await downloadRounds(token, federationId, format);
    setProblem(result.ok ? null : `export failed: ${result.reason}`);
  };
  return (
    <span className="controls">
      <button data-testid="export-csv" onClick={() => void save('csv')}>
        Export CSV
      </button>
      <button data-testid="export-json" onClick={() => void save('json')}>
        Export JSON
      </button>
      {problem && <span className="error">{problem}</span>}
    </span>
  );
}
