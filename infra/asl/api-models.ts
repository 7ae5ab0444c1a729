import { existsSync, readdirSync, readFileSync } from 'node:fs';
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
 * - botocore's `data/<service>/<version>/service-2.json`, as Debian's python3-botocore installs it:
 *   the same shapes with their `min`, `max` and `pattern` (which the two npm packages drop), for the
 *   bounds of literal values (`checkInput`) and of the API's strategy limits (`shapeBounds`).
 *   `.ci/run` installs it; a check that needs it fails, naming the package, when it is missing.
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

const BOTOCORE_MODEL: Record<SdkService, string> = {
  sagemaker: 'sagemaker/2017-07-24',
  lambda: 'lambda/2015-03-31',
  cloudwatch: 'cloudwatch/2010-08-01',
};

/** Where Debian's python3-botocore keeps botocore's service models. */
export const BOTOCORE_DATA = process.env.BOTOCORE_DATA ?? '/usr/lib/python3/dist-packages/botocore/data';

/** A shape's bounds as botocore's model gives them (lengths for strings, lists and maps). */
export interface ShapeBounds {
  readonly type: string;
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: string;
}

interface BotocoreRef {
  readonly shape: string;
  readonly documentation?: string;
}

interface BotocoreShape extends ShapeBounds {
  readonly members?: Record<string, BotocoreRef>;
  readonly member?: BotocoreRef;
  readonly value?: BotocoreRef;
}

interface BotocoreModel {
  readonly operations: Record<string, { readonly input?: BotocoreRef }>;
  readonly shapes: Record<string, BotocoreShape>;
}

/**
 * Bounds the service has raised since the botocore release Debian ships (1.29.27, December 2022),
 * as the current API reference states them; they replace the installed model's. The unit test
 * fails once the installed model agrees, so that an entry here never outlives its reason.
 */
export const NEWER_BOUNDS: Partial<
  Record<
    SdkService,
    Record<string, { readonly min?: number; readonly max?: number; readonly source: string }>
  >
> = {
  sagemaker: {
    MaximumExecutionTimeoutInSeconds: {
      min: 600,
      max: 28_800,
      source:
        'SageMaker API Reference, BlueGreenUpdatePolicy: "Valid Range: Minimum value of 600. Maximum value of 28800."',
    },
  },
};

const botocoreModels = new Map<SdkService, BotocoreModel | null>();
/** The installed botocore model of `service`, as published (NEWER_BOUNDS not applied). */
export const installedShape = (service: SdkService, name: string): ShapeBounds | undefined =>
  readBotocore(service)?.shapes[name];

const readBotocore = (service: SdkService): BotocoreModel | null => {
  if (!botocoreModels.has(service)) {
    const file = join(BOTOCORE_DATA, BOTOCORE_MODEL[service], 'service-2.json');
    botocoreModels.set(
      service,
      existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as BotocoreModel) : null,
    );
  }
  return botocoreModels.get(service)!;
};

const patched = new Map<SdkService, BotocoreModel | null>();
/** botocore's model of `service` with NEWER_BOUNDS applied; null when python3-botocore is not installed. */
const botocore = (service: SdkService): BotocoreModel | null => {
  if (!patched.has(service)) {
    const model = readBotocore(service);
    const newer = NEWER_BOUNDS[service] ?? {};
    patched.set(
      service,
      model && {
        ...model,
        shapes: {
          ...model.shapes,
          ...Object.fromEntries(
            Object.entries(newer).map(([name, { min, max }]) => [
              name,
              {
                ...model.shapes[name]!,
                ...(min !== undefined ? { min } : {}),
                ...(max !== undefined ? { max } : {}),
              },
            ]),
          ),
        },
      },
    );
  }
  return patched.get(service)!;
};

const requireBotocore = (service: SdkService): BotocoreModel => {
  const model = botocore(service);
  if (!model)
    throw new Error(
      `botocore's ${service} model is missing: ${join(BOTOCORE_DATA, BOTOCORE_MODEL[service], 'service-2.json')} ` +
        '(install the Debian package python3-botocore, as .ci/run does, or set BOTOCORE_DATA)',
    );
  return model;
};

/** The bounds botocore's model gives the shape `name` of `service` (it must be installed). */
export const shapeBounds = (service: SdkService, name: string): ShapeBounds => {
  const shape = requireBotocore(service).shapes[name];
  if (!shape) throw new Error(`botocore's ${service} model has no shape ${name}`);
  const { type, min, max, pattern } = shape;
  return {
    type,
    ...(min !== undefined ? { min } : {}),
    ...(max !== undefined ? { max } : {}),
    ...(pattern ? { pattern } : {}),
  };
};

/** The documentation of a member of a structure shape, as the model words it (HTML). */
export const memberDocumentation = (service: SdkService, shape: string, member: string): string => {
  const text = requireBotocore(service).shapes[shape]?.members?.[member]?.documentation;
  if (text === undefined) throw new Error(`botocore's ${service} model documents no ${shape}.${member}`);
  return text;
};

const patterns = new Map<string, RegExp>();
/** A model's pattern as a JavaScript RegExp (Unicode when it compiles so, as Java reads `\p{L}`). */
const patternOf = (pattern: string): RegExp => {
  let regex = patterns.get(pattern);
  if (!regex) {
    try {
      regex = new RegExp(pattern, 'u');
    } catch {
      regex = new RegExp(pattern);
    }
    patterns.set(pattern, regex);
  }
  return regex;
};

/** What a literal breaks of its shape's bounds, in the words AWS's validation errors use. */
const boundsIssues = (bounds: ShapeBounds, value: unknown, path: string): ModelIssue[] => {
  const issues: ModelIssue[] = [];
  const { min, max, pattern } = bounds;
  if (typeof value === 'number') {
    if (min !== undefined && value < min)
      issues.push({ path, problem: `must have value greater than or equal to ${min}` });
    if (max !== undefined && value > max)
      issues.push({ path, problem: `must have value less than or equal to ${max}` });
    return issues;
  }
  const length =
    typeof value === 'string'
      ? value.length
      : Array.isArray(value)
        ? value.length
        : typeof value === 'object' && value !== null
          ? Object.keys(value).length
          : undefined;
  if (length === undefined) return issues;
  if (min !== undefined && length < min)
    issues.push({ path, problem: `must have length greater than or equal to ${min}` });
  if (max !== undefined && length > max)
    issues.push({ path, problem: `must have length less than or equal to ${max}` });
  // Smithy's patterns are not anchored: the value must contain a match (most models anchor them).
  if (typeof value === 'string' && pattern && !patternOf(pattern).test(value))
    issues.push({ path, problem: `must satisfy regular expression pattern: ${pattern}` });
  return issues;
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
 * values of the wrong type, enum literals the member does not know, and values outside their
 * shape's bounds (min/max of numbers, lengths of strings, lists and maps; patterns). A key ending
 * in `.$` (an ASL path) names its member and stands for a value known only at run time: present,
 * not checked. `bounds`: 'required' (the default) fails when botocore's model is missing;
 * 'if-installed' (the local simulators: `npm start` needs no Debian package) checks them when it
 * is there.
 */
export const checkInput = (
  service: SdkService,
  operation: string,
  input: unknown,
  options: { bounds?: 'required' | 'if-installed' } = {},
): ModelIssue[] => {
  const model = v2(service);
  const declarations = v3(service);
  const bounded = options.bounds === 'if-installed' ? botocore(service) : requireBotocore(service);
  const op = model.operations[operation];
  if (!op) return [{ path: '', problem: `${service} has no operation ${operation}` }];
  const issues: ModelIssue[] = [];
  // The v2 model (minified: its shape names are not the service's) and botocore's walked together.
  const walk = (
    shape: V2Shape,
    v3name: string | undefined,
    value: unknown,
    path: string,
    named: string | undefined,
  ): void => {
    const resolved = resolve(model, shape);
    if (!typeOk(resolved.type, value)) {
      issues.push({ path, problem: `is not of type ${resolved.type ?? 'string'}` });
      return;
    }
    const bounds = named ? bounded?.shapes[named] : undefined;
    if (bounds) issues.push(...boundsIssues(bounds, value, path));
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
        if (!dynamic)
          walk(member, v3Type(v3members?.get(name)), inner, memberPath, bounds?.members?.[name]?.shape);
      }
      for (const required of resolved.required ?? [])
        if (!given.has(required))
          issues.push({ path: path ? `${path}.${required}` : required, problem: 'is required' });
    }
    if (resolved.type === 'list' && resolved.member) {
      const element = v3name?.endsWith('[]') ? v3name.slice(0, -2) : undefined;
      for (const [i, item] of (value as unknown[]).entries())
        walk(resolved.member, element, item, `${path}[${i}]`, bounds?.member?.shape);
    }
    if (resolved.type === 'map' && resolved.value) {
      const element = /^Record<string, (\w+)>$/.exec(v3name ?? '')?.[1];
      for (const [key, item] of Object.entries(value as Record<string, unknown>))
        walk(resolved.value, element, item, `${path}.${key}`, bounds?.value?.shape);
    }
  };
  walk(
    op.input ?? { type: 'structure', members: {} },
    v3InputType(service, operation),
    input,
    '',
    bounded?.operations[operation]?.input?.shape,
  );
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
    botocore(service);
  }
};
