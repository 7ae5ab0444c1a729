import type { Transport } from './transport.ts';

/**
 * The console's only source of facts: the same `/v1` API every other client calls. A transport
 * sends a request (local mode adds the chosen principal's header; on AWS each call is signed with
 * SigV4); this module turns answers into values and refusals into `ApiError`s that keep the
 * server's problem+json, so a page can show the server's own words.
 */
export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  errors?: { path: string; message: string }[];
}

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = 'ApiError';
    this.status = problem.status;
    this.problem = problem;
  }
}

export type { ApiRequest, Transport } from './transport.ts';

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export const withQuery = (path: string, query: Record<string, string | number | undefined> = {}): string => {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
};

const problemOf = async (response: Response): Promise<Problem> => {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as Partial<Problem>;
    return {
      ...body,
      title: body.title ?? response.statusText,
      status: body.status ?? response.status,
    } as Problem;
  } catch {
    return { title: response.statusText || 'Error', status: response.status, detail: text.slice(0, 500) };
  }
};

export class Api {
  constructor(private readonly transport: Transport) {}

  async send(
    method: string,
    path: string,
    body?: unknown,
    accept = 'application/json',
    extra: Record<string, string> = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...extra, accept };
    let raw: string | undefined;
    if (body !== undefined) {
      raw = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    const response = await this.transport({
      method,
      path,
      headers,
      ...(raw === undefined ? {} : { body: raw }),
    });
    if (!response.ok) throw new ApiError(await problemOf(response));
    return response;
  }

  async get<T>(path: string, query?: Record<string, string | number | undefined>): Promise<T> {
    const response = await this.send('GET', withQuery(path, query));
    return (await response.json()) as T;
  }

  /** Every page of a list, up to `max` items (the console shows what a person can read). */
  async all<T>(
    path: string,
    query: Record<string, string | number | undefined> = {},
    max = 500,
  ): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.get<Page<T>>(path, { ...query, limit: 100, cursor });
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && items.length < max);
    return items;
  }

  async call<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    const response = await this.send(method, path, body, 'application/json', headers);
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async text(path: string, accept: string): Promise<string> {
    return (await this.send('GET', path, undefined, accept)).text();
  }

  async blob(path: string, accept: string): Promise<Blob> {
    return (await this.send('GET', path, undefined, accept)).blob();
  }
}

/** Local mode: the API on the console's own origin, the picked principal in the local identity header. */
export const localTransport =
  (principal: () => string): Transport =>
  ({ method, path, headers, body }) =>
    fetch(new URL(path, window.location.origin), {
      method,
      headers: { ...headers, 'x-steward-principal': principal() },
      ...(body === undefined ? {} : { body }),
      credentials: 'omit',
      cache: 'no-store',
    });
