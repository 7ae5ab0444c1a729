import type * as z from 'zod';
import type { RoleName } from '#commons/facts';

/**
 * What a route entry is. Each entry says where an operation lives (method, path, function), who
 * may call it (its role), what it reads (zod schemas for path, query and body) and what it may
 * answer (statuses, with the schema of each success). The middleware enforces the role and the
 * schemas, the CDK app and the local adapter route by it, and the OpenAPI document is generated
 * from it: there is no second copy of any of it.
 */
export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One Lambda function per resource group. The name is also the entry file `functions/http/<fn>.ts`. */
export type FunctionGroup =
  | 'meta'
  | 'models'
  | 'versions'
  | 'aliases'
  | 'lineage'
  | 'audit'
  | 'environments'
  | 'inventory'
  | 'approvals'
  | 'approval-links'
  | 'deployments'
  | 'monitoring'
  | 'drift-runs'
  | 'evidence'
  | 'mlflow';

/**
 * Who may call an operation, checked by the middleware before anything is read:
 * - `public`: anyone (the route is not IAM-authorized);
 * - `authenticated`: any IAM-authenticated caller, with or without a role in Steward;
 * - `reader`: any role in Steward (the auditor role is read-only);
 * - a role name, or a list of which any one suffices (`admin` holds every role);
 * - `owner`: the model's owning team or an admin. It depends on the model, so the service checks
 *   it once it has read the model; the middleware checks nothing more.
 */
export type RouteRole = 'public' | 'authenticated' | 'reader' | 'owner' | RoleName | readonly RoleName[];

export interface ResponseSpec {
  readonly description: string;
  /** The JSON body of the answer. */
  readonly schema?: z.ZodType;
  /** Bodies by media type, for answers that are not JSON or not only JSON. */
  readonly content?: Readonly<Record<string, z.ZodType>>;
}

export interface RouteEntry {
  readonly method: HttpMethod;
  /** The API Gateway resource path, with `{param}` placeholders. */
  readonly path: string;
  readonly operationId: string;
  /** `none` only for the public routes; everything else is IAM-authorized on AWS. */
  readonly auth: 'iam' | 'none';
  readonly role: RouteRole;
  /** One line for the reference's list of operations. */
  readonly summary?: string;
  /** Prose for the reference (Markdown): what the operation does, when to call it, its refusals. */
  readonly description?: string;
  /** The path parameters, parsed into `request.input.path`; a miss is a 400 naming the field. */
  readonly params?: z.ZodType<unknown, Record<string, unknown>>;
  /** The query string, parsed into `request.input.query`. */
  readonly query?: z.ZodType<unknown, Record<string, unknown>>;
  /** The JSON body, parsed into `request.input.body`. */
  readonly body?: z.ZodType;
  /** The body may be left out; it is then read as `{}`. */
  readonly bodyOptional?: true;
  /** The body is an HTML form (`application/x-www-form-urlencoded`), for pages. */
  readonly form?: z.ZodType;
  /** The headers the operation honours, for the reference (the middleware reads them itself). */
  readonly headers?: { readonly idempotencyKey?: true; readonly ifMatch?: true };
  /**
   * The operation parses its own input (the schemas above then describe it for the reference
   * only): a page, where a malformed link must read as an unknown one, and MLflow's protocol.
   */
  readonly parsesOwnInput?: true;
  /** Every status the operation itself may answer, with its body. */
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  /** The refusals it may answer as problem+json, beyond those every route may answer. */
  readonly problems?: readonly number[];
  /** A page for people: answers and errors are HTML, not JSON. */
  readonly page?: true;
  /** A path parameter that is a secret: never logged, never in an access log. */
  readonly secretParam?: string;
  /**
   * MLflow's REST protocol: errors are `{error_code, message}` as MLflow answers them, not
   * problem+json, and the route is left out of Steward's OpenAPI document (MLflow documents it).
   */
  readonly protocol?: 'mlflow';
  /**
   * The reference's section, when it is not the function's group: a drift run on request has a
   * function of its own (the drift job's code stays out of the monitoring API) but is documented
   * with monitoring.
   */
  readonly tag?: FunctionGroup;
}

export interface Route extends RouteEntry {
  readonly fn: FunctionGroup;
}

/** A group's entries, each marked with the function that serves it. */
export const defineRoutes = <const T extends readonly RouteEntry[]>(
  fn: FunctionGroup,
  entries: T,
): readonly (T[number] & { readonly fn: FunctionGroup })[] => entries.map((entry) => ({ ...entry, fn }));

type Raw<K> = K extends 'body' ? unknown : Readonly<Record<string, string>>;
type Out<E, K extends 'params' | 'query' | 'body'> = E extends { readonly parsesOwnInput: true }
  ? Raw<K>
  : E extends { readonly [P in K]: infer S extends z.ZodType }
    ? z.output<S>
    : Raw<K>;

/** What the middleware hands an operation, parsed by its entry's schemas. */
export interface InputOf<E> {
  path: Out<E, 'params'>;
  query: Out<E, 'query'>;
  body: Out<E, 'body'>;
}
