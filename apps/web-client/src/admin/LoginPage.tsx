import { useState, type FormEvent } from 'react';
import { logIn } from './api/tokensApi.ts';

/** Logs in with the admin secret or a viewer token; the coordinator answers with a session token the dashboard keeps. */
export function LoginPage({ error, onSignedIn }: { error: string | null; onSignedIn: (sessionToken: string) => void }) {
  const [secret, setSecret] = useState('');
  const [pending, setPending] = useState(false);
  const [refused, setRefused] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!secret.trim()) return;
    setPending(true);
    const result = await logIn(secret.trim());
    setPending(false);
    if (result.ok) onSignedIn(result.value.token);
    else setRefused(result.reason);
  };
  const shown = refused ?? error;
  return (
    <form className="card token-prompt" onSubmit={(e) => void submit(e)}>
      <h2>Sign in</h2>
      <p className="muted">The admin token the coordinator printed at first start, or a viewer token an admin gave you.</p>
      <label>
        Token <input data-testid="admin-token" type="password" autoComplete="off" value={secret} onChange={(e) => setSecret(e.target.value)} autoFocus />
      </label>{' '}
      <button data-testid="admin-login" type="submit" disabled={!secret.trim() || pending}>
        Sign in
      </button>
      {shown && (
        <p className="error" data-testid="admin-error">
          {shown}
        </p>
      )}
    </form>
  );
}
