import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { SDK_ERROR_PREFIX, type SdkService } from './retry-policies.ts';

/**
 * AWS's published API models, read where the npm packages ship them, to check what Steward sends
 * to SageMaker, Lambda and CloudWatch (the ASL `Parameters`, and the requests the local simulators
 * accept):
 * - the `aws-sdk` v2 package's `apis/<service>-<version>.min.json`: each operation's input shape,
 *   its members and required members, and their types;
 * - the v3 clients' generated declarations (`@aws-sdk/client-<service>/dist-types`): the enum
 *   literals of each member (the min.json models drop enums, bounds and errors) and, per command,
 *   the errors the operation is modeled to throw (`@throws {@link ...}`).
 * Neither ships the models' min/max bounds; those are written beside the code that enforces them,
 * with their source (functions/domain/deployment-limits.ts).
 */
const require = createRequire(import.meta.url);

const V2_MODEL: Record<SdkService, string> = {
  sagemaker: 'sagemaker-2017-07-24',
  lambda: 'lambda-2015-03-31',
  cloudwatch: 'monitoring-2010-08-01',
};

const V3_PACKAGE: Record<SdkService, string> = {
  sagemaker: '@aws-sdk/client-sagemaker',
  lambda: '@aws-sdk/client-lambda',
  cloudwatch: '@aws-sdk/client-cloudwatch',
};

interface V2Shape {
  readonly type?: string;
  readonly shape?: string;
  readonly members?: Record<string, V2Shape>;
  readonly required?: readonly string[];
  readonly member?: V2Shape;
  readonly value?: V2Shape;
}

interface V2Model {
  readonly operations: Record<string, { readonly input?: V2Shape }>;
  readonly shapes: Record<string, V2Shape>;
}

interface V3Declarations {
  readonly interfaces: Map<string, Map<string, string>>;
  readonly enums: Map<string, readonly string[]>;
  readonly folder: string;
}

const v2Models = new Map<SdkService, V2Model>();
const v2 = (service: SdkService): V2Model => {
  let model = v2Models.get(service);
  if (!model) {
    model = require(`aws-sdk/apis/${V2_MODEL[service]}.min.json`) as V2Model;
    v2Models.set(service, model);
  }
  return model;
};

const v3Models = new Map<SdkService, V3Declarations>();
const v3 = (service: SdkService): V3Declarations => {
  const cached = v3Models.get(service);
  if (cached) return cached;
  const folder = join(dirname(require.resolve(`${V3_PACKAGE[service]}/package.json`)), 'dist-types');
  const interfaces = new Map<string, Map<string, string>>();
  const enums = new Map<string, readonly string[]>();
  for (const file of readdirSync(join(folder, 'models'))) {
    const text = readFileSync(join(folder, 'models', file), 'utf8');
    for (const [, name, body] of text.matchAll(/^export interface (\w+) \{\n([\s\S]*?)^\}/gm)) {
      const members = new Map<string, string>();
      for (const [, member, type] of body!.matchAll(/^ {4}(\w+)\??: (.+);$/gm)) members.set(member!, type!);
      interfaces.set(name!, members);
    }
    for (const [, name, body] of text.matchAll(/^export declare const (\w+): \{\n([\s\S]*?)^\};/gm))
      enums.set(
        name!,
        [...body!.matchAll(/readonly \w+: "([^"]*)";/g)].map((m) => m[1]!),
      );
  }
  const declarations = { interfaces, enums, folder };
  v3Models.set(service, declarations);
  return declarations;
};

const resolve = (model: V2Model, shape: V2Shape): V2Shape =>
  shape.shape ? resolve(model, model.shapes[shape.shape]!) : shape;

/** `describeEndpoint` -> `DescribeEndpoint`, the operation name of the models. */
export const operationName = (action: string): string => action.charAt(0).toUpperCase() + action.slice(1);

export const hasOperation = (service: SdkService, operation: string): boolean =>
  operation in v2(service).operations;

/** The v3 type of an operation's input (`UpdateEndpointInput`, `UpdateAliasRequest`). */
const v3InputType = (service: SdkService, operation: string): string | undefined => {
  const text = readFileSync(join(v3(service).folder, 'commands', `${operation}Command.d.ts`), 'utf8');
  return /export interface \w+CommandInput extends (\w+)/.exec(text)?.[1];
};

/** The errors an operation is modeled to throw (v3 `@throws`), without the service's base class. */
export const operationErrors = (service: SdkService, operation: string): string[] => {
  const text = readFileSync(join(v3(service).folder, 'commands', `${operation}Command.d.ts`), 'utf8');
  return [...text.matchAll(/@throws \{@link (\w+)\}/g)]
    .map((m) => m[1]!)
    .filter((name) => !name.endsWith('ServiceException') || name === 'ServiceException');
};

/** An error as Step Functions names it for an SDK integration: `Service.Name`, `Exception` added. */
export const sdkErrorName = (service: SdkService, error: string): string =>
  `${SDK_ERROR_PREFIX[service]}.${error.endsWith('Exception') ? error : `${error}Exception`}`;

/** One thing the model refuses in a request: the member's path and why. */
export interface ModelIssue {
  readonly path: string;
  readonly problem: string;
}

const typeOk = (type: string | undefined, value: unknown): boolean => {
  switch (type ?? 'string') {
    case 'structure':
    case 'map':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'list':
      return Array.isArray(value);
    case 'integer':
    case 'long':
    case 'float':
    case 'double':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'timestamp':
      return typeof value === 'string' || typeof value === 'number';
    default:
      return typeof value === 'string';
  }
};

/** The v3 type text of a member, without `| undefined`. */
const v3Type = (text: string | undefined): string | undefined => text?.replace(/ \| undefined$/, '');

/**
 * What the model refuses in `input` for `operation`: unknown members, missing required members,
 * values of the wrong type, enum literals the member does not know. A key ending in `.$` (an ASL
 * path) names its member and stands for a value known only at run time: present, not checked.
 */
export const checkInput = (service: SdkService, operation: string, input: unknown): ModelIssue[] => {
  const model = v2(service);
  const declarations = v3(service);
  const op = model.operations[operation];
  if (!op) return [{ path: '', problem: `${service} has no operation ${operation}` }];
  const issues: ModelIssue[] = [];
  const walk = (shape: V2Shape, v3name: string | undefined, value: unknown, path: string): void => {
    const resolved = resolve(model, shape);
    if (!typeOk(resolved.type, value)) {
      issues.push({ path, problem: `is not of type ${resolved.type ?? 'string'}` });
      return;
    }
    const values = v3name ? declarations.enums.get(v3name) : undefined;
    if (values && typeof value === 'string' && !values.includes(value))
      issues.push({ path, problem: `'${value}' is not one of ${JSON.stringify(values)}` });
    if (resolved.type === 'structure') {
      const record = value as Record<string, unknown>;
      const members = resolved.members ?? {};
      const v3members = v3name ? declarations.interfaces.get(v3name) : undefined;
      const given = new Set<string>();
      for (const [key, inner] of Object.entries(record)) {
        const dynamic = key.endsWith('.$');
        const name = dynamic ? key.slice(0, -2) : key;
        given.add(name);
        const memberPath = path ? `${path}.${name}` : name;
        const member = members[name];
        if (!member) {
          issues.push({ path: memberPath, problem: 'is not a member of the model' });
          continue;
        }
        if (!dynamic) walk(member, v3Type(v3members?.get(name)), inner, memberPath);
      }
      for (const required of resolved.required ?? [])
        if (!given.has(required))
          issues.push({ path: path ? `${path}.${required}` : required, problem: 'is required' });
    }
    if (resolved.type === 'list' && resolved.member) {
      const element = v3name?.endsWith('[]') ? v3name.slice(0, -2) : undefined;
      for (const [i, item] of (value as unknown[]).entries())
        walk(resolved.member, element, item, `${path}[${i}]`);
    }
    if (resolved.type === 'map' && resolved.value) {
      const element = /^Record<string, (\w+)>$/.exec(v3name ?? '')?.[1];
      for (const [key, item] of Object.entries(value as Record<string, unknown>))
        walk(resolved.value, element, item, `${path}.${key}`);
    }
  };
  walk(op.input ?? { type: 'structure', members: {} }, v3InputType(service, operation), input, '');
  return issues;
};

/** The literals of a v3 enum (`EndpointStatus`), as the model lists them. */
export const enumValues = (service: SdkService, name: string): readonly string[] => {
  const values = v3(service).enums.get(name);
  if (!values) throw new Error(`${service} has no enum ${name}`);
  return values;
};

/** Reads the models of `services` now, so that the first request checked does not pay for it. */
export const loadModels = (services: readonly SdkService[]): void => {
  for (const service of services) {
    v2(service);
    v3(service);
  }
};
