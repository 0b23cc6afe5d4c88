import { useState, type FormEvent } from 'react';

export function TokenPrompt({ error, onSubmit }: { error: string | null; onSubmit: (token: string) => void }) {
  const [token, setToken] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (token.trim()) onSubmit(token.trim());
  };
  return (
    <form className="card token-prompt" onSubmit={submit}>
      <h2>Admin sign-in</h2>
      <label>
        Admin token{' '}
        <input
          data-testid="admin-token"
          type="password"
          autoComplete="off"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          autoFocus
        />
      </label>{' '}
      <button data-testid="admin-login" type="submit" disabled={!token.trim()}>
        Sign in
      </button>
      {error && (
        <p className="error" data-testid="admin-error">
          {error}
        </p>
      )}
    </form>
  );
}
