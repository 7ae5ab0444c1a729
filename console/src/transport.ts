/** How a request reaches the API: local mode adds the principal header, AWS mode signs with SigV4. */
export interface ApiRequest {
  method: string;
  /** Path and query, starting with `/v1/`. */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export type Transport = (request: ApiRequest) => Promise<Response>;
