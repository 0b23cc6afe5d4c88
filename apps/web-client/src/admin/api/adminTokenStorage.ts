/** The session token (from logging in) lives in sessionStorage: gone when the tab closes, kept across reloads. */
const KEY = 'flock.adminToken';

export function loadAdminToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function saveAdminToken(token: string | null): void {
  try {
    if (token) sessionStorage.setItem(KEY, token);
    else sessionStorage.removeItem(KEY);
  } catch {
    // storage unavailable (private mode): the token then lasts as long as the page
  }
}
