/**
 * fetch, given up after `ms` with a sentence. Node 20's fetch can wait for ever on a connection the
 * peer accepted and closed at once (a proxy with nothing behind it, a link that drops), and with
 * nothing else pending node then ends mid-await (exit code 13) instead of reporting anything.
 * The timer is a ref'd one, so it keeps the process alive until the answer or the give-up.
 */
export async function fetchWithin(url: URL, ms: number, init: RequestInit = {}): Promise<Response> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no answer within ${ms / 1000} s`)), ms);
  try {
    return await fetch(url, { ...init, signal: controller.signal });
  } finally {
    clearTimeout(timer);
  }
}
