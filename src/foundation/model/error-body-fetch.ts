/**
 * A fetch for the openai client that nests older vLLM's flat error bodies.
 *
 * openai-node takes an error's details from the body's `error` key only. Older vLLM builds send
 * `{"object":"error","message":…,"type":…,"code":…}` with no such key, so the message (and with it
 * the context-length numbers) would be lost. Nesting the flat body under `error` keeps every field.
 */
export function errorBodyNestingFetch(baseFetch: typeof fetch = globalThis.fetch): typeof fetch {
  return async (input, init) => {
    const response = await baseFetch(input, init);
    if (response.ok) return response;
    const text = await response.text();
    const headers = new Headers(response.headers);
    // The body below is already decoded and may change length.
    headers.delete("content-length");
    headers.delete("content-encoding");
    return new Response(nestFlatErrorBody(text), { status: response.status, statusText: response.statusText, headers });
  };
}

export function nestFlatErrorBody(text: string): string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return text;
  }
  if (typeof body !== "object" || body === null || Array.isArray(body) || "error" in body) return text;
  if (typeof (body as Record<string, unknown>).message !== "string") return text;
  return JSON.stringify({ error: body });
}
