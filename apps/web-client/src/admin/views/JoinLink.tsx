import type { FederationConfig } from '@flock/fl-core/config';
import QRCode from 'qrcode';
import { useEffect, useState } from 'react';
import { mintEnrollmentToken } from '../api/adminApi.ts';

/** The device page for this federation; an enrollment-only federation's link carries an enrollment token. */
export function joinUrl(origin: string, federationId: string, enrollmentToken?: string): string {
  const params = new URLSearchParams({ federation: federationId });
  if (enrollmentToken) params.set('token', enrollmentToken);
  return `${origin}/?${params}`;
}

/** The link a person opens (or scans) to join this federation as a device. */
export function JoinLink({ token, config }: { token: string; config: FederationConfig }) {
  const enrollment = config.join === 'enrollment';
  const [enrollmentToken, setEnrollmentToken] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [qr, setQr] = useState<string | null>(null);
  const url = enrollment && !enrollmentToken ? null : joinUrl(window.location.origin, config.id, enrollmentToken ?? undefined);

  useEffect(() => {
    setEnrollmentToken(null);
  }, [config.id]);
  useEffect(() => {
    let current = true;
    setQr(null);
    if (url)
      void QRCode.toDataURL(url, { margin: 1, width: 176 }).then(
        (data) => current && setQr(data),
        (err: unknown) => current && setProblem(`no QR code: ${String(err)}`),
      );
    return () => {
      current = false;
    };
  }, [url]);

  const mint = async () => {
    const minted = await mintEnrollmentToken(token, config.id);
    if (minted.ok) setEnrollmentToken(minted.value);
    else setProblem(`could not create an enrollment token: ${minted.reason}`);
  };

  return (
    <div className="join-link">
      {url ? (
        <>
          {qr && <img data-testid="join-qr" src={qr} alt={`QR code of the join link for ${config.id}`} width={176} height={176} />}
          <p>
            <a data-testid="join-link" href={url} target="_blank" rel="noreferrer">
              {url}
            </a>
          </p>
          <p className="muted">Open it (or scan it) on each device that joins “{config.name}”.</p>
        </>
      ) : (
        <p>
          This federation is enrollment-only: its link carries an enrollment token.{' '}
          <button data-testid="mint-enrollment" onClick={() => void mint()}>
            Create a join link
          </button>
        </p>
      )}
      {problem && <p className="error">{problem}</p>}
    </div>
  );
}
