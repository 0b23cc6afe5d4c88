export interface RestAnswer<T> {
  status: number;
  body: T;
}

/** One call to the coordinator's REST API at `baseUrl` as `token` (null: anonymous), JSON in and out; a body that is not JSON (CSV, metrics) comes back as its text. */
export async function restCall<T>(baseUrl: string, token: string | null, method: string, path: string, body?: unknown): Promise<RestAnswer<T>> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: jsonOrText(text) as T };
}

/** restCall's body, or an error naming the call, its status and the coordinator's answer when that is not 2xx. */
export async function restOk<T>(baseUrl: string, token: string | null, method: string, path: string, body?: unknown): Promise<T> {
  const answer = await restCall<T>(baseUrl, token, method, path, body);
  if (answer.status < 200 || answer.status >= 300) throw new Error(`${method} ${path}: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
