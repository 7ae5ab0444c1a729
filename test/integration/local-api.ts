import { type LocalSystem, type LocalSystemOptions, startLocalSystem } from '#local/system';

/**
 * A local system for one test file, and a small client that speaks to it over real HTTP.
 */
export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface CallOptions {
  body?: unknown;
  /** A raw body, sent as it is (malformed JSON, oversize payloads). */
  raw?: string;
  principal?: string;
  headers?: Record<string, string>;
}

/** A client of a Steward API at `url` (a local system in this process, or `npm start` in another). */
export const clientOf = (url: string) => {
  const call = async <T = any>(
    method: string,
    path: string,
    options: CallOptions = {},
  ): Promise<ApiResponse<T>> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.principal) headers['x-steward-principal'] = options.principal;
    let body: string | undefined;
    if (options.raw !== undefined) body = options.raw;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const response = await fetch(`${url}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  };
  return call;
};

export const startApi = async (options: LocalSystemOptions = {}) => {
  const system: LocalSystem = await startLocalSystem(options);
  const call = clientOf(system.url);
  return { system, call, url: system.url, close: () => system.close() };
};

export type Api = Awaited<ReturnType<typeof startApi>>;
