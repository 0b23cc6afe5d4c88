import type { MintedToken, TokenRecord } from '@flock/fl-core/protocol';
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { createToken, listTokens, revokeToken } from '../api/tokensApi.ts';

/** Admins mint viewer tokens and enrollment tokens for the selected federation, see them all, and revoke them. */
export function TokensPanel({ token, federationId }: { token: string; federationId: string }) {
  const [tokens, setTokens] = useState<TokenRecord[]>([]);
  const [role, setRole] = useState<'viewer' | 'device'>('viewer');
  const [expiresIn, setExpiresIn] = useState('7d');
  const [label, setLabel] = useState('');
  const [minted, setMinted] = useState<MintedToken | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  const refresh = useCallback(async () => {
    const listed = await listTokens(token);
    if (listed.ok) setTokens(listed.value);
    else setProblem(`could not list the tokens: ${listed.reason}`);
  }, [token]);

  useEffect(() => void refresh(), [refresh]);

  const mint = async (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    const scope = role === 'device' ? { role, federationId } : { role };
    const result = await createToken(token, { ...scope, expiresIn, ...(label.trim() ? { label: label.trim() } : {}) });
    if (!result.ok) return setProblem(`could not create the token: ${result.reason}`);
    setMinted(result.value);
    setLabel('');
    void refresh();
  };

  const revoke = async (id: string) => {
    const result = await revokeToken(token, id);
    if (!result.ok) setProblem(`could not revoke the token: ${result.reason}`);
    void refresh();
  };

  const joinLink = (t: MintedToken) => `${window.location.origin}/?federation=${encodeURIComponent(t.federationId ?? '')}&token=${encodeURIComponent(t.token)}`;

  return (
    <section className="card" data-testid="tokens-panel">
      <h2>Tokens</h2>
      <form className="controls" onSubmit={(e) => void mint(e)}>
        <select data-testid="token-role" value={role} onChange={(e) => setRole(e.target.value === 'device' ? 'device' : 'viewer')}>
          <option value="viewer">viewer (read-only dashboard)</option>
          <option value="device">enrollment for “{federationId}”</option>
        </select>
        <label>
          expires in <input data-testid="token-expires" size={5} value={expiresIn} onChange={(e) => setExpiresIn(e.target.value)} />
        </label>
        <label>
          label <input data-testid="token-label" value={label} onChange={(e) => setLabel(e.target.value)} />
        </label>
        <button data-testid="token-create" type="submit">
          Create token
        </button>
      </form>
      {minted && (
        <p data-testid="token-minted">
          Shown once, copy it now: <code>{minted.token}</code>
          {minted.federationId && (
            <>
              <br />
              Join link: <code>{joinLink(minted)}</code>
            </>
          )}
        </p>
      )}
      {problem && <p className="error">{problem}</p>}
      <table className="table" data-testid="token-list">
        <thead>
          <tr>
            <th>id</th>
            <th>kind</th>
            <th>federation</th>
            <th>label</th>
            <th>expires</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {tokens.map((t) => (
            <tr key={t.id}>
              <td title={t.id}>{t.id.slice(0, 8)}</td>
              <td>{t.kind}</td>
              <td>{t.federationId ?? '—'}</td>
              <td>{t.label ?? ''}</td>
              <td>{new Date(t.expiresAt).toLocaleString()}</td>
              <td>
                {t.revokedAt ? (
                  <span className="muted">revoked</span>
                ) : (
                  <button data-testid="token-revoke" onClick={() => void revoke(t.id)}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
