import type * as z from 'zod';
import type { ApprovalRequestOut } from '#domain/approval';
import type { AuditEvent } from '#domain/audit';
import type { ModelCard } from '#domain/card';
import type { DeploymentBody } from '#domain/deployment';
import type { EnvironmentPolicy } from '#domain/environment';
import type { CreateModelBody, Model, UpdateModelBody } from '#domain/model';
import type { RegisterVersionBody, Version } from '#domain/version';
import { ApiError, NetworkError, type Problem } from './errors.ts';
import { type Signer, sigV4Signer } from './sigv4.ts';

/**
 * A typed client of Steward's HTTP API, shared by the `steward` CLI, the demo and the tests.
 * Requests are SigV4-signed on AWS; in local mode the principal goes in `X-Steward-Principal`.
 * Every error status becomes an `ApiError` carrying the problem+json the service answered.
 */
export interface ClientOptions {
  /** The API's base URL, e.g. `https://abc.execute-api.eu-west-1.amazonaws.com/prod`. */
  baseUrl: string;
  /** Local mode: who the caller is (the `X-Steward-Principal` header). */
  principal?: string;
  /** AWS: sign each request with SigV4 for `execute-api`. */
  sigv4?: { region: string; profile?: string };
  /** A signer of one's own (tests). */
  signer?: Signer;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
}

export type ApprovalRequest = z.infer<typeof ApprovalRequestOut>;
export type ModelOut = z.infer<typeof Model>;
export type VersionOut = z.infer<typeof Version>;
export type Environment = z.infer<typeof EnvironmentPolicy>;
export type Card = z.infer<typeof ModelCard>;

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface HistoryEntry {
  at: string;
  step: string;
  detail?: Record<string, unknown>;
}

export interface Deployment {
  id: string;
  model: string;
  version: number;
  environment: string;
  target: Record<string, unknown> & { kind: string };
  status: 'PENDING' | 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED' | 'ROLLED_BACK' | 'DECOMMISSIONED';
  statusReason?: string;
  history: HistoryEntry[];
  previousVersion?: number;
  [more: string]: unknown;
}

export interface LineageNode {
  kind: string;
  id: string;
  [more: string]: unknown;
}
export interface LineageGraph {
  nodes: LineageNode[];
  edges: { from: LineageNode; to: LineageNode; relation: string }[];
}

export interface DriftFeature {
  name: string;
  kind: 'numeric' | 'categorical';
  psi: number | null;
  jsDistance: number | null;
  ksStatistic?: number | null;
  ksPValue?: number | null;
  wassersteinNorm?: number | null;
  chiSquare?: number | null;
  chiSquarePValue?: number | null;
  missingShare: number | null;
  outOfRangeShare?: number | null;
  drifted: boolean;
  reason?: string;
}
export interface DriftReport {
  id: string;
  deploymentId: string;
  window: { from: string; to: string };
  rows: number;
  features: DriftFeature[];
  prediction?: DriftFeature;
  driftedShare: number;
  [more: string]: unknown;
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  accept?: string;
}

const enc = encodeURIComponent;

export class StewardClient {
  readonly baseUrl: string;
  private readonly signer: Signer | undefined;

  constructor(private readonly options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.signer = options.signer ?? (options.sigv4 ? sigV4Signer(options.sigv4) : undefined);
  }

  /** One request; JSON in, JSON (or text, for Mermaid and CSV) out. */
  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const { text } = await this.send(method, path, options);
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      return text as T;
    }
  }

  async send(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<{ status: number; headers: Headers; text: string }> {
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(options.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = {
      accept: options.accept ?? 'application/json',
      ...this.options.headers,
      ...options.headers,
    };
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.principal) headers['x-steward-principal'] = this.options.principal;
    const signed = this.signer
      ? await this.signer({ method, url, headers, ...(body === undefined ? {} : { body }) })
      : headers;
    let response: Response;
    try {
      response = await fetch(url, { method, headers: signed, ...(body === undefined ? {} : { body }) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new NetworkError(
        `no answer from ${url.origin}: ${cause?.code ?? cause?.message ?? String(error)}`,
        {
          cause: error,
        },
      );
    }
    const text = await response.text();
    if (!response.ok) throw new ApiError(method, path, toProblem(response.status, text));
    return { status: response.status, headers: response.headers, text };
  }

  // Meta
  health = () => this.request<{ status: string }>('GET', '/v1/health');

  // Models
  createModel = (body: z.input<typeof CreateModelBody>) =>
    this.request<ModelOut>('POST', '/v1/models', { body });
  listModels = (query: { prefix?: string; tag?: string; limit?: number; cursor?: string } = {}) =>
    this.request<Page<ModelOut>>('GET', '/v1/models', { query });
  getModel = (name: string) => this.request<ModelOut>('GET', `/v1/models/${enc(name)}`);
  updateModel = (name: string, body: z.input<typeof UpdateModelBody>) =>
    this.request<ModelOut>('PATCH', `/v1/models/${enc(name)}`, { body });
  getCard = (name: string) => this.request<Card>('GET', `/v1/models/${enc(name)}/card`);

  // Versions
  registerVersion = (name: string, body: z.input<typeof RegisterVersionBody>) =>
    this.request<VersionOut>('POST', `/v1/models/${enc(name)}/versions`, { body });
  commitVersion = (name: string, version: number, parts?: { partNumber: number; etag: string }[]) =>
    this.request<VersionOut>('POST', `/v1/models/${enc(name)}/versions/${version}/commit`, {
      body: parts ? { parts } : {},
    });
  listVersions = (name: string, query: { status?: string; limit?: number; cursor?: string } = {}) =>
    this.request<Page<VersionOut>>('GET', `/v1/models/${enc(name)}/versions`, { query });
  getVersion = (name: string, version: number) =>
    this.request<VersionOut>('GET', `/v1/models/${enc(name)}/versions/${version}`);
  artifactUrl = (name: string, version: number) =>
    this.request<{
      url?: string;
      files?: { path: string; url: string; sha256: string; sizeBytes: number }[];
      expiresAt: string;
    }>('GET', `/v1/models/${enc(name)}/versions/${version}/artifact`);
  transitionVersion = (name: string, version: number, to: 'DEPRECATED' | 'ARCHIVED', reason: string) =>
    this.request<VersionOut>('POST', `/v1/models/${enc(name)}/versions/${version}/transitions`, {
      body: { to, reason },
    });
  manifest = (name: string, version: number) =>
    this.request<Record<string, unknown>>('GET', `/v1/models/${enc(name)}/versions/${version}/manifest`);

  // Aliases
  setAlias = (name: string, alias: string, version: number) =>
    this.request<{ name: string; alias: string; version: number }>(
      'PUT',
      `/v1/models/${enc(name)}/aliases/${enc(alias)}`,
      { body: { version } },
    );
  getAlias = (name: string, alias: string) =>
    this.request<VersionOut>('GET', `/v1/models/${enc(name)}/aliases/${enc(alias)}`);
  deleteAlias = (name: string, alias: string) =>
    this.request<void>('DELETE', `/v1/models/${enc(name)}/aliases/${enc(alias)}`);

  // Environments
  listEnvironments = () => this.request<{ items: Environment[] }>('GET', '/v1/environments');

  // Approvals
  requestApproval = (
    name: string,
    version: number,
    body: { environment: string; reason?: string; deployOnApproval?: Record<string, unknown> },
  ) =>
    this.request<ApprovalRequest>('POST', `/v1/models/${enc(name)}/versions/${version}/approvals`, { body });
  getApproval = (id: string) => this.request<ApprovalRequest>('GET', `/v1/approvals/${enc(id)}`);
  decideApproval = (id: string, decision: 'approve' | 'reject', comment?: string) =>
    this.request<ApprovalRequest>('POST', `/v1/approvals/${enc(id)}/decisions`, {
      body: { decision, ...(comment ? { comment } : {}) },
    });

  // Deployments
  deploy = (name: string, version: number, body: z.input<typeof DeploymentBody>) =>
    this.request<Deployment>('POST', `/v1/models/${enc(name)}/versions/${version}/deployments`, { body });
  getDeployment = (id: string) => this.request<Deployment>('GET', `/v1/deployments/${enc(id)}`);
  listDeployments = (name: string, query: { environment?: string; limit?: number; cursor?: string } = {}) =>
    this.request<Page<Deployment>>('GET', `/v1/models/${enc(name)}/deployments`, { query });
  rollback = (id: string, reason: string) =>
    this.request<Deployment>('POST', `/v1/deployments/${enc(id)}/rollback`, { body: { reason } });
  decommission = (id: string) => this.request<Deployment>('DELETE', `/v1/deployments/${enc(id)}`);

  // Lineage, audit, inventory
  lineage = (node: string, query: { direction?: string; depth?: number } = {}) =>
    this.request<LineageGraph>('GET', '/v1/lineage', { query: { node, ...query } });
  lineageMermaid = (node: string, query: { direction?: string; depth?: number } = {}) =>
    this.request<string>('GET', '/v1/lineage', { query: { node, ...query }, accept: 'text/vnd.mermaid' });
  /** The lineage as a self-contained page with the SVG picture. */
  lineageHtml = (node: string, query: { direction?: string; depth?: number } = {}) =>
    this.request<string>('GET', '/v1/lineage', { query: { node, ...query }, accept: 'text/html' });
  listAudit = (query: {
    model?: string;
    actor?: string;
    from?: string;
    to?: string;
    limit?: number;
    cursor?: string;
  }) => this.request<Page<AuditEvent>>('GET', '/v1/audit', { query });
  verifyAudit = (model: string) =>
    this.request<{ model: string; valid: boolean; events: number; brokenAt?: number }>(
      'GET',
      '/v1/audit/verify',
      {
        query: { model },
      },
    );
  /** A version's evidence pack: one self-contained HTML page to file. */
  evidencePack = (name: string, version: number) =>
    this.request<string>('GET', `/v1/models/${enc(name)}/versions/${version}/evidence`, {
      accept: 'text/html',
    });
  inventory = () =>
    this.request<{ items: Record<string, unknown>[] }>('GET', '/v1/inventory', { query: { format: 'json' } });
  inventoryCsv = () =>
    this.request<string>('GET', '/v1/inventory', { query: { format: 'csv' }, accept: 'text/csv' });

  // Monitoring
  runDrift = (deploymentId: string, window: { from?: string; to?: string } = {}) =>
    this.request<DriftReport>('POST', `/v1/deployments/${enc(deploymentId)}/drift-runs`, { body: window });
  listDriftRuns = (deploymentId: string, query: { limit?: number; cursor?: string } = {}) =>
    this.request<Page<DriftReport>>('GET', `/v1/deployments/${enc(deploymentId)}/drift-runs`, { query });
  /** A presigned URL to a run's report page (`latest`: the newest run). */
  driftReportUrl = (deploymentId: string, runId = 'latest') =>
    this.request<{ runId: string; url: string; expiresAt: string }>(
      'GET',
      `/v1/deployments/${enc(deploymentId)}/drift-runs/${enc(runId)}/report`,
    );

  /** Every page of a list, in order. */
  async *all<T>(page: (cursor?: string) => Promise<Page<T>>): AsyncGenerator<T> {
    let cursor: string | undefined;
    do {
      const got = await page(cursor);
      yield* got.items;
      cursor = got.nextCursor;
    } while (cursor);
  }
}

const toProblem = (status: number, text: string): Problem => {
  try {
    const parsed = JSON.parse(text) as Partial<Problem>;
    if (parsed && typeof parsed === 'object') return { ...parsed, status } as Problem;
  } catch {
    // not JSON (a gateway's HTML page): keep the first line
  }
  return { status, title: `HTTP ${status}`, detail: text.split('\n')[0]?.slice(0, 300) ?? '' };
};
