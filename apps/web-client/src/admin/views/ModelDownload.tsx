import { useState } from 'react';
import { downloadModel } from '../api/adminApi.ts';

/** The latest stored global model as one file, fetched with the session token (`GET /api/federations/<id>/model.flkw`). */
export function ModelDownload({ token, federationId }: { token: string; federationId: string }) {
  const [problem, setProblem] = useState<string | null>(null);
  const save = async () => {
    const result = await downloadModel(token, federationId);
    setProblem(result.ok ? null : `download failed: ${result.reason}`);
  };
  return (
    <>
      <button data-testid="download-model" onClick={() => void save()}>
        Download model
      </button>
      {problem && <span className="error"> {problem}</span>}
    </>
  );
}
