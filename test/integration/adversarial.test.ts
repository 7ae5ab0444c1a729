import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOpenApi } from '#api/openapi';
import { type Route, routes } from '#api/routes';
import { eventually } from '../eventually.ts';
import { checkInvariants } from './invariants.ts';
import { type Api, type ApiResponse, startApi } from './local-api.ts';
import { createModel, expectProblem, publishVersion, sha256, uniqueName } from './registry-fixtures.ts';

/**
 * The adversarial suite (issue 11): every mutating route of the route table is sent inputs
 * generated from its request schema in the OpenAPI document (which is generated from the route
 * table and the zod schemas the handlers validate with), then broken on purpose: wrong types,
 * prototype keys, hostile names (traversal, Unicode confusables, bidi controls, non-NFC),
 * malformed, oversized and deeply nested bodies, wrong media types, idempotency keys. Every
 * answer must be a status the document declares for that operation, never a 5xx. Scenarios
 * follow for what generation cannot reach: cursors, scanners, CSRF and Origin, replays, races on
 * each guarded transition, owners of other models and auditors. Afterwards every chain verifies,
 * no version is half-written and version numbers have no gaps.
 */
type JsonSchema = Record<string, any>;
const document = buildOpenApi() as unknown as {
  paths: Record<
    string,
    Record<
      string,
      {
        requestBody?: { content: Record<string, { schema: JsonSchema }> };
        responses: Record<string, unknown>;
      }
    >
  >;
  components: { schemas: Record<string, JsonSchema> };
};
const RUNS_PER_ROUTE = Number(process.env.ADVERSARIAL_RUNS ?? 24);
const IMAGE = {
  uri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/churn',
  digest: `sha256:${'c'.repeat(64)}`,
};

/** The figures of both runs, printed as one line when the file is done. */
const figures = {
  inputs: 0,
  routes: '',
  fiveXx: 0,
  writesLost: 0,
  faults: { requests: 0, unavailable: 0, writesLost: 0, injected: 0 },
};
afterAll(() => {
  const f = figures;
  console.log(
    `[hostile] inputs=${f.inputs} routesCovered=${f.routes} 5xx=${f.fiveXx} writesLost=${f.writesLost} | ` +
      `faults: requests=${f.faults.requests} 503s=${f.faults.unavailable} writesLost=${f.faults.writesLost} injected=${f.faults.injected}`,
  );
});

/** Names an attacker or a careless client sends where a name goes. */
const HOSTILE_NAMES = [
  '..',
  '.',
  '../../etc/passwd',
  'a/../b',
  '%2e%2e',
  '%2E%2E%2F',
  'a\\b',
  'chаrn', // Cyrillic а
  'ｃｈｕｒｎ', // full-width
  'exe\u202Enib.bin', // right-to-left override
  'zero\u200Bwidth',
  'cafe\u0301', // not NFC
  'nul\u0000',
  'line\nfeed',
  '__proto__',
  'constructor',
  'x'.repeat(300),
  ' ',
  '😀',
];
const hostileName = fc.constantFrom(...HOSTILE_NAMES);

// ---- inputs generated from the JSON Schema of each request body ------------------------------

const resolve = (schema: JsonSchema): JsonSchema => {
  if (schema.$ref) return resolve(document.components.schemas[String(schema.$ref).split('/').at(-1)!]!);
  return schema;
};

const arbitraryOf = (input: JsonSchema, depth = 0): fc.Arbitrary<unknown> => {
  const schema = resolve(input);
  if (depth > 6) return fc.constant(null);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...(schema.enum as unknown[]));
  for (const key of ['anyOf', 'oneOf'] as const)
    if (schema[key]) return fc.oneof(...(schema[key] as JsonSchema[]).map((s) => arbitraryOf(s, depth + 1)));
  if (schema.allOf) return arbitraryOf(schema.allOf[0], depth + 1);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      if (Object.keys(properties).length === 0) {
        const values =
          typeof schema.additionalProperties === 'object'
            ? arbitraryOf(schema.additionalProperties, depth + 1)
            : fc.string();
        return fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), values, { maxKeys: 3 });
      }
      const shape = Object.fromEntries(
        Object.entries(properties).map(([k, s]) => [k, arbitraryOf(s, depth + 1)]),
      );
      return fc.record(shape, { requiredKeys: (schema.required ?? []) as string[] });
    }
    case 'array':
      return fc.array(arbitraryOf(schema.items ?? {}, depth + 1), {
        minLength: Math.min(schema.minItems ?? 0, 3),
        maxLength: Math.min(schema.maxItems ?? 3, 3),
      });
    case 'string': {
      if (schema.pattern) {
        try {
          return fc
            .stringMatching(new RegExp(schema.pattern))
            .filter((s) => s.length <= (schema.maxLength ?? 2048));
        } catch {
          // fall through: an expression fast-check cannot generate from
        }
      }
      if (schema.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
      if (schema.format === 'uri') return fc.webUrl();
      const min = schema.minLength ?? 0;
      return fc.string({ minLength: min, maxLength: Math.max(min, Math.min(schema.maxLength ?? 24, 24)) });
    }
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -5, max: Math.min(schema.maximum ?? 1_000_000, 1_000_000) });
    case 'number':
      return fc.double({
        noNaN: true,
        noDefaultInfinity: true,
        min: schema.minimum ?? -1e6,
        max: schema.maximum ?? 1e6,
      });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
};

/** Break a generated value on purpose at one place. */
const mutated = (value: unknown): fc.Arbitrary<unknown> =>
  fc
    .tuple(
      fc.constantFrom('wrong-type', 'proto', 'constructor', 'unknown-field', 'hostile-string', 'drop-all'),
      fc.nat(),
      fc.oneof(
        fc.constant(null),
        fc.integer(),
        fc.constant([]),
        fc.constant('x'),
        fc.constant({}),
        fc.constant(true),
      ),
      hostileName,
    )
    .map(([how, at, wrong, name]) => {
      const copy = JSON.parse(JSON.stringify(value ?? {})) as unknown;
      const objects: Record<string, unknown>[] = [];
      const walk = (v: unknown) => {
        if (v && typeof v === 'object') {
          if (!Array.isArray(v)) objects.push(v as Record<string, unknown>);
          for (const child of Object.values(v)) walk(child);
        }
      };
      walk(copy);
      const target = objects[at % Math.max(objects.length, 1)];
      if (how === 'drop-all') return undefined;
      if (!target) return wrong;
      const keys = Object.keys(target);
      const key = keys[at % Math.max(keys.length, 1)];
      if (how === 'wrong-type' && key) target[key] = wrong;
      else if (how === 'proto')
        Object.defineProperty(target, '__proto__', { value: { polluted: true }, enumerable: true });
      else if (how === 'constructor')
        Object.defineProperty(target, 'constructor', {
          value: { prototype: { polluted: true } },
          enumerable: true,
        });
      else if (how === 'unknown-field') target[`unexpected_${at % 7}`] = wrong;
      else if (how === 'hostile-string') {
        if (key && typeof target[key] === 'string') target[key] = name;
        else target[name] = 'x';
      }
      return copy;
    });

/** Raw bodies no schema describes: broken, huge, deep, or not JSON at all. */
const RAW_BODIES: { raw: string; type: string }[] = [
  { raw: '{"a":', type: 'application/json' },
  { raw: 'null', type: 'application/json' },
  { raw: '[]', type: 'application/json' },
  { raw: '"text"', type: 'application/json' },
  { raw: `{"x":"${'a'.repeat(1_100_000)}"}`, type: 'application/json' },
  { raw: `${'['.repeat(40)}${']'.repeat(40)}`, type: 'application/json' },
  { raw: `{"a":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_001)}`, type: 'application/json' },
  { raw: '{"name":"x"}', type: 'text/plain' },
  { raw: 'name=x&__proto__=y', type: 'application/x-www-form-urlencoded' },
  { raw: '{"__proto__":{"polluted":true}}', type: 'application/json' },
  { raw: '\u0000\u0001', type: 'application/json' },
];

// ---- the run -------------------------------------------------------------------------------

describe('adversarial suite', () => {
  let api: Api;
  const tally = { inputs: 0, routes: new Set<string>(), fiveXx: 0, acknowledged: [] as [string, number][] };
  const fixture = { model: '', other: '', approvalId: '', link: '', deploymentId: '', secret: '' };

  const send = async (
    method: string,
    path: string,
    options: { principal?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse> => {
    tally.inputs++;
    return api.call(method, path, options);
  };

  /** The statuses the OpenAPI document declares for a route (and a route-less path: 404). */
  /**
   * The MLflow protocol is not in Steward's OpenAPI document: its contract is MLflow's (200 with a
   * JSON object, `{error_code, message}` with 400, 403 or 404), plus what the gateway itself may
   * answer to any request (413, 415, 429, 503).
   */
  const MLFLOW_STATUSES = new Set([200, 400, 403, 404, 413, 415, 429, 503]);
  const documented = (route: Route) =>
    route.protocol === 'mlflow'
      ? MLFLOW_STATUSES
      : new Set(Object.keys(document.paths[route.path]![route.method.toLowerCase()]!.responses).map(Number));

  const expectDocumented = (route: Route, res: ApiResponse, input: string) => {
    if (res.status >= 500) tally.fiveXx++;
    expect(
      res.status,
      `${route.method} ${route.path} <- ${input.slice(0, 300)}: ${res.text.slice(0, 300)}`,
    ).toBeLessThan(500);
    expect(
      documented(route).has(res.status) || res.status === 404 || res.status === 405,
      `${route.operationId} answered undocumented ${res.status}: ${res.text.slice(0, 300)}`,
    ).toBe(true);
  };

  beforeAll(async () => {
    api = await startApi({ targetTransitionMs: 50, waitScale: 0.005 });
    fixture.model = uniqueName('adv');
    fixture.other = uniqueName('other');
    await createModel(api, fixture.model, { owner: 'alice' }, 'alice');
    await createModel(api, fixture.other, { owner: 'bob' }, 'bob');
    await publishVersion(api, fixture.model, randomBytes(64), { lineage: { image: IMAGE } }, 'alice');
    await publishVersion(api, fixture.model, randomBytes(64), { lineage: { image: IMAGE } }, 'alice');
    const approval = await api.call('POST', `/v1/models/${fixture.model}/versions/1/approvals`, {
      principal: 'alice',
      body: { environment: 'staging' },
    });
    expect(approval.status, approval.text).toBe(202);
    fixture.approvalId = approval.body.id;
    fixture.link = await eventually(`the approval email for ${fixture.model}`, async () => {
      const mail = (
        (await api.call('GET', '/local/outbox')).body as { subject: string; links: string[] }[]
      ).find((m) => m.subject.includes(`${fixture.model} version`));
      return mail?.links[0];
    });
    fixture.secret = fixture.link.split('/').at(-1)!;
    const deployment = await api.call('POST', `/v1/models/${fixture.model}/versions/1/deployments`, {
      principal: 'alice',
      body: {
        environment: 'dev',
        target: { kind: 'sagemaker', endpointName: `steward-${fixture.model}`, instanceType: 'ml.m5.large' },
      },
    });
    expect(deployment.status, deployment.text).toBe(202);
    fixture.deploymentId = deployment.body.id;
  });
  afterAll(() => api.close());

  const pathValue = (param: string): string =>
    ({
      model: fixture.model,
      version: '1',
      alias: 'champion',
      id: '',
      environment: 'dev',
      secret: fixture.secret,
    })[param] ?? 'x';

  const MLFLOW_FIELDS = [
    'name',
    'new_name',
    'version',
    'key',
    'value',
    'alias',
    'description',
    'source',
    'run_id',
    'stage',
    'tags',
  ];

  const mutating = routes.filter((r) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method));

  it.each(mutating.map((r) => [`${r.method} ${r.path}`, r] as const))(
    'answers %s with documented statuses for generated and broken input',
    async (_label, route) => {
      const operation = document.paths[route.path]?.[route.method.toLowerCase()];
      const content = operation?.requestBody?.content ?? {};
      const schema =
        content['application/json']?.schema ?? content['application/x-www-form-urlencoded']?.schema;
      // MLflow requests are the fields MLflow's client sends, with any values.
      const valid =
        route.protocol === 'mlflow'
          ? fc.dictionary(
              fc.constantFrom(...MLFLOW_FIELDS),
              fc.oneof(fc.string(), fc.integer(), hostileName),
              {
                maxKeys: 5,
              },
            )
          : schema
            ? arbitraryOf(schema)
            : fc.constant(undefined);
      const body = fc.oneof(
        { weight: 3, arbitrary: valid.map((b) => ({ body: b })) },
        { weight: 3, arbitrary: valid.chain(mutated).map((b) => ({ body: b })) },
        { weight: 2, arbitrary: fc.constantFrom(...RAW_BODIES) },
      );
      const params = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
      const pathArb = fc
        .tuple(
          ...params.map((p) =>
            fc.oneof(
              { weight: 4, arbitrary: fc.constant(pathValue(p)) },
              { weight: 1, arbitrary: hostileName },
            ),
          ),
        )
        .map((values) => {
          let path = route.path;
          params.forEach((p, i) => {
            const value =
              p === 'id' && values[i] === ''
                ? route.path.startsWith('/v1/approvals')
                  ? fixture.approvalId
                  : fixture.deploymentId
                : values[i]!;
            path = path.replace(`{${p}}`, encodeURIComponent(value));
          });
          return path;
        });
      const principal = fc.constantFrom('alice', 'bob', 'auditor', 'local-user');
      const extraHeaders = fc.oneof(
        fc.constant({} as Record<string, string>),
        fc
          .string({ minLength: 1, maxLength: 40 })
          .map((k) => ({ 'idempotency-key': k.replace(/[^\x20-\x7e]/g, '?') || 'k' })),
        fc.constant({ 'idempotency-key': 'é-not-ascii' }),
        fc.constant({ 'idempotency-key': 'x'.repeat(300) }),
        fc.constant({ origin: 'https://evil.example' }),
      );
      tally.routes.add(`${route.method} ${route.path}`);
      await fc.assert(
        fc.asyncProperty(pathArb, body, principal, extraHeaders, async (path, input, who, headers) => {
          const options =
            'raw' in input
              ? { raw: input.raw, headers: { ...headers, 'content-type': input.type } }
              : {
                  ...(input.body === undefined ? {} : { raw: JSON.stringify(input.body) }),
                  headers: {
                    ...headers,
                    'content-type': route.page ? 'application/x-www-form-urlencoded' : 'application/json',
                  },
                };
          if ('body' in input && route.page && input.body && typeof input.body === 'object')
            options.raw = new URLSearchParams(
              Object.entries(input.body as Record<string, unknown>).map(
                ([k, v]) => [k, String(v)] as [string, string],
              ),
            ).toString();
          const res = await send(route.method, path, { principal: who, ...options });
          expectDocumented(route, res, `${who} ${path} ${options.raw ?? ''}`);
          if (route.protocol === 'mlflow' && [400, 403, 404].includes(res.status) && res.body?.error_code)
            expect(typeof res.body.message, res.text).toBe('string');
          if (route.operationId === 'registerVersion' && res.status === 201)
            tally.acknowledged.push([res.body.name, res.body.version]);
        }),
        { numRuns: RUNS_PER_ROUTE },
      );
    },
  );

  it('refuses tampered cursors with a 400', async () => {
    for (let i = 0; i < 3; i++) await createModel(api, uniqueName('cur'));
    const first = await send('GET', '/v1/models?limit=1');
    const cursor: string = first.body.nextCursor;
    expect(cursor).toBeTruthy();
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: cursor.length - 1 }),
        fc.constantFrom('A', 'b', '_', '-', '0'),
        async (at, c) => {
          const tampered = cursor.slice(0, at) + c + cursor.slice(at + 1);
          fc.pre(tampered !== cursor);
          const res = await send('GET', `/v1/models?limit=1&cursor=${encodeURIComponent(tampered)}`);
          expectProblem(res, 400);
        },
      ),
      { numRuns: 15 },
    );
    // A cursor of one listing is refused by another.
    const versions = await send(
      'GET',
      `/v1/models/${fixture.model}/versions?limit=1&cursor=${encodeURIComponent(cursor)}`,
    );
    expectProblem(versions, 400);
  });

  it('refuses Idempotency-Key misuse and never doubles a change', async () => {
    const name = uniqueName('idem');
    await createModel(api, name);
    const body = { artifact: { sha256: sha256(Buffer.from('a')), sizeBytes: 1 } };
    const key = { 'idempotency-key': `adv-${name}` };
    const racing = await Promise.all(
      Array.from({ length: 6 }, () => send('POST', `/v1/models/${name}/versions`, { body, headers: key })),
    );
    for (const res of racing) expect([201, 409]).toContain(res.status);
    expect(racing.some((r) => r.status === 201)).toBe(true);
    expectProblem(
      await send('POST', `/v1/models/${name}/versions`, {
        body: { ...body, description: 'x' },
        headers: key,
      }),
      422,
    );
    expectProblem(
      await send('POST', `/v1/models/${name}/versions`, {
        body,
        headers: { 'idempotency-key': 'clé\u00ff' },
      }),
      400,
    );
    expectProblem(
      await send('POST', `/v1/models/${name}/versions`, {
        body,
        headers: { 'idempotency-key': 'k'.repeat(256) },
      }),
      400,
    );
    // The same key on another path is another request: 422.
    expectProblem(
      await send('POST', `/v1/models/${name}/versions/1/commit`, { body: {}, headers: key }),
      422,
    );
    expect((await send('GET', `/v1/models/${name}`)).body.latestVersion).toBe(1);
  });

  it('lets mail scanners GET and HEAD a link any number of times without deciding anything', async () => {
    for (let i = 0; i < 4; i++) {
      expect((await fetch(fixture.link)).status).toBe(200);
      expect((await fetch(fixture.link, { method: 'HEAD' })).status).toBe(200);
      tally.inputs += 2;
    }
    expect((await send('GET', `/v1/approvals/${fixture.approvalId}`)).body.status).toBe('PENDING');
  });

  it('refuses forged forms (CSRF, Origin) and replays of a used link', async () => {
    const html = await (await fetch(fixture.link)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
    const post = (fields: Record<string, string>, origin?: string) => {
      tally.inputs++;
      return fetch(fixture.link, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(origin ? { origin } : {}) },
        body: new URLSearchParams(fields),
      });
    };
    await fc.assert(
      fc.asyncProperty(
        fc.webUrl().map((u) => new URL(u).origin),
        async (origin) => {
          fc.pre(origin !== new URL(api.url).origin);
          expect((await post({ csrf, decision: 'approve' }, origin)).status).toBe(403);
        },
      ),
      { numRuns: 8 },
    );
    expect((await post({ decision: 'approve' })).status).toBe(403);
    expect((await post({ csrf: `${csrf.slice(0, -2)}AA`, decision: 'approve' })).status).toBe(403);
    expect((await post({ csrf, decision: 'maybe' })).status).toBe(403);
    expect((await send('GET', `/v1/approvals/${fixture.approvalId}`)).body.status).toBe('PENDING');
    const decided = await post({ csrf, decision: 'approve' }, 'null');
    expect(decided.status).toBe(200);
    // A replay of the same form: the link is used, the decision stands once.
    const replay = await post({ csrf, decision: 'reject' }, 'null');
    expect([403, 404, 409]).toContain(replay.status);
    const approval = (await send('GET', `/v1/approvals/${fixture.approvalId}`)).body;
    expect(approval.status).toBe('APPROVED');
    expect(approval.decisions).toHaveLength(1);
  });

  it('keeps each guarded transition to one winner under races', async () => {
    // approve against approve: two approvers racing for a one-approval group.
    const env = uniqueName('race').toLowerCase().slice(0, 30);
    expect(
      (
        await send('PUT', `/v1/environments/${env}`, {
          principal: 'admin',
          body: {
            approval: { required: true, groups: [{ name: 'g', members: ['p1', 'p2'], minApprovals: 1 }] },
          },
        })
      ).status,
    ).toBe(200);
    const name = uniqueName('races');
    await createModel(api, name, {}, 'alice');
    await publishVersion(api, name, randomBytes(64), { lineage: { image: IMAGE } }, 'alice');
    await publishVersion(api, name, randomBytes(64), { lineage: { image: IMAGE } }, 'alice');
    const requested = await send('POST', `/v1/models/${name}/versions/1/approvals`, {
      principal: 'alice',
      body: { environment: env },
    });
    expect(requested.status, requested.text).toBe(202);
    const approvals = await Promise.all(
      ['p1', 'p2'].map((p) =>
        send('POST', `/v1/approvals/${requested.body.id}/decisions`, {
          principal: p,
          body: { decision: 'approve' },
        }),
      ),
    );
    expect(approvals.map((r) => r.status).sort()).toEqual([200, 409]);

    // deploy against deploy on one target.
    const target = { kind: 'sagemaker', endpointName: `steward-${name}`, instanceType: 'ml.m5.large' };
    const deploys = await Promise.all(
      [1, 2].map((v) =>
        send('POST', `/v1/models/${name}/versions/${v}/deployments`, {
          principal: 'alice',
          body: { environment: 'dev', target },
        }),
      ),
    );
    expect(deploys.map((r) => r.status).sort()).toEqual([202, 409]);
    const winner = deploys.find((r) => r.status === 202)!.body.id as string;
    const servedVersion = deploys[0]!.status === 202 ? 1 : 2;

    // archive against deploy: the version is being deployed, so the archive is refused.
    const archive = await send('POST', `/v1/models/${name}/versions/${servedVersion}/transitions`, {
      principal: 'alice',
      body: { to: 'ARCHIVED', reason: 'race' },
    });
    expect(archive.status).toBe(409);
    const settled = await eventually(`deployment ${winner} settled`, async () => {
      const d = (await send('GET', `/v1/deployments/${winner}`)).body;
      return ['PENDING', 'IN_PROGRESS'].includes(d.status) ? undefined : d;
    });
    expect(settled.status).toBe('SUCCEEDED');
    const other = servedVersion === 1 ? 2 : 1;
    const second = await send('POST', `/v1/models/${name}/versions/${other}/deployments`, {
      principal: 'alice',
      body: { environment: 'dev', target },
    });
    expect(second.status, second.text).toBe(202);
    await eventually(`deployment ${second.body.id} settled`, async () => {
      const d = (await send('GET', `/v1/deployments/${second.body.id}`)).body;
      return ['PENDING', 'IN_PROGRESS'].includes(d.status) ? undefined : d;
    });
    // rollback against a new deploy on the same target: at most one is accepted.
    const [rollback, fresh] = await Promise.all([
      send('POST', `/v1/deployments/${second.body.id}/rollback`, {
        principal: 'alice',
        body: { reason: 'race' },
      }),
      send('POST', `/v1/models/${name}/versions/${servedVersion}/deployments`, {
        principal: 'alice',
        body: { environment: 'dev', target },
      }),
    ]);
    expect([rollback.status, fresh.status].filter((s) => s === 202).length).toBe(1);
    expect([rollback.status, fresh.status].filter((s) => s !== 202)).toEqual([409]);
    const version = (await send('GET', `/v1/models/${name}/versions/${servedVersion}`)).body;
    expect(version.status).toBe('READY');
  });

  it("refuses one model's owner acting on another model, and auditors writing anywhere", async () => {
    const before = (await send('GET', `/v1/models/${fixture.other}`)).body;
    const attempts: [string, string, unknown][] = [
      ['PATCH', `/v1/models/${fixture.other}`, { description: 'taken over' }],
      [
        'POST',
        `/v1/models/${fixture.other}/versions`,
        { artifact: { sha256: 'a'.repeat(64), sizeBytes: 1 } },
      ],
      ['PUT', `/v1/models/${fixture.other}/card`, { purpose: 'mine' }],
    ];
    for (const [method, path, body] of attempts)
      expectProblem(await send(method, path, { principal: 'alice', body }), 403);
    // Every write route (not the MLflow catch-all, which names no operation and answers 404).
    for (const route of mutating.filter((r) => r.auth === 'iam' && !r.path.includes('{proxy+}'))) {
      const path = route.path.replace(/\{(\w+)\}/g, (_m, p: string) =>
        p === 'id'
          ? route.path.startsWith('/v1/approvals')
            ? fixture.approvalId
            : fixture.deploymentId
          : pathValue(p),
      );
      const res = await send(route.method, path, {
        principal: 'auditor',
        ...(route.method === 'DELETE' ? {} : { body: {} }),
      });
      expect([400, 403], `${route.operationId} as auditor: ${res.status} ${res.text}`).toContain(res.status);
    }
    expect((await send('GET', `/v1/models/${fixture.other}`)).body).toEqual(before);
    const refused = await send(
      'GET',
      `/v1/audit?model=${encodeURIComponent(`_attempts:${fixture.other}`)}&limit=100`,
    );
    expect(
      refused.body.items.filter((e: { actor: string }) => e.actor === 'alice').length,
    ).toBeGreaterThanOrEqual(3);
  });

  it('leaves every chain verifying, no version half-written and no number skipped', async () => {
    let lost = 0;
    for (const [model, version] of tally.acknowledged)
      if ((await api.call('GET', `/v1/models/${model}/versions/${version}`)).status !== 200) lost++;
    expect(lost).toBe(0);
    const report = await checkInvariants(api.call);
    expect(tally.fiveXx).toBe(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    Object.assign(figures, {
      inputs: tally.inputs,
      routes: `${tally.routes.size}/${mutating.length}`,
      fiveXx: tally.fiveXx,
      writesLost: lost,
    });
    expect(report.chains).toBeGreaterThan(2);
  });
});

/**
 * Local mode under injected faults (`/local/faults`): DynamoDB throttling on a fifth of its
 * requests, transaction conflicts, S3 5xx and failed seals, while a few hundred mixed requests
 * run. Every answer is a success, a 4xx, or a 503 with Retry-After; nothing acknowledged is
 * lost; afterwards every chain verifies, no version is half-written and numbers have no gaps.
 */
const REQUESTS = 300;
const PARALLEL = 8;

describe('under injected faults (local fault injection)', () => {
  let api: Api;

  beforeAll(async () => {
    api = await startApi({ targetTransitionMs: 50, waitScale: 0.005 });
  });
  afterAll(() => api.close());

  it('answers a few hundred mixed requests at 20% throttling with success, 4xx or 503 + Retry-After', async () => {
    // Prepare: models with a READY version each, before any fault.
    const models: string[] = [];
    for (let i = 0; i < 4; i++) {
      const name = uniqueName('fault');
      await createModel(api, name, {}, 'ci-pipeline');
      await publishVersion(api, name, randomBytes(64), {}, 'ci-pipeline');
      models.push(name);
    }
    const set = await api.call('POST', '/local/faults', {
      body: {
        rules: [
          {
            service: 'dynamodb',
            fault: 'transaction-conflict',
            rate: 0.05,
            operations: ['TransactWriteItems'],
          },
          { service: 'dynamodb', fault: 'throttle', rate: 0.2 },
          { service: 's3', fault: 'server-error', rate: 0.2 },
          { service: 'seal', fault: 'seal-failure', rate: 0.2 },
        ],
      },
    });
    expect(set.status, set.text).toBe(200);

    // Act: mixed requests, a few at a time.
    const answers: { what: string; res: ApiResponse }[] = [];
    const acknowledged: { model: string; version: number; ready: boolean }[] = [];
    const created: string[] = [];
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;
    const one = async (i: number) => {
      const model = pick(models);
      const kind = pick([
        'register',
        'register',
        'publish',
        'patch-model',
        'patch-version',
        'alias',
        'edge',
        'read',
        'list',
        'approval',
        'create-model',
        'deprecate',
      ]);
      const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
        api.call(method, path, {
          principal: 'ci-pipeline',
          headers,
          ...(body === undefined ? {} : { body }),
        });
      let res: ApiResponse;
      if (kind === 'register' || kind === 'publish') {
        const bytes = randomBytes(32);
        res = await call(
          'POST',
          `/v1/models/${model}/versions`,
          { artifact: { sha256: sha256(bytes), sizeBytes: bytes.length } },
          i % 2 ? { 'idempotency-key': `k-${i}` } : {},
        );
        if (res.status === 201) {
          const ack = { model, version: res.body.version as number, ready: false };
          acknowledged.push(ack);
          if (kind === 'publish') {
            await fetch(res.body.upload.url, {
              method: 'PUT',
              headers: res.body.upload.headers,
              body: bytes,
            });
            answers.push({ what: 'register', res });
            res = await call('POST', `/v1/models/${model}/versions/${ack.version}/commit`);
            if (res.status === 200) ack.ready = true;
          }
        }
      } else if (kind === 'patch-model')
        res = await call('PATCH', `/v1/models/${model}`, { description: `d${i}` });
      else if (kind === 'patch-version')
        res = await call('PATCH', `/v1/models/${model}/versions/1`, { tags: { run: String(i) } });
      else if (kind === 'alias')
        res = await call('PUT', `/v1/models/${model}/aliases/champion`, { version: 1 });
      else if (kind === 'edge')
        res = await call('POST', '/v1/lineage/edges', {
          from: { kind: 'dataset', id: `s3://data/${i}` },
          to: { kind: 'model-version', id: `${model}:1` },
          relation: 'trained-on',
        });
      else if (kind === 'read') res = await call('GET', `/v1/models/${model}/versions/1`);
      else if (kind === 'list') res = await call('GET', `/v1/models/${model}/versions?limit=5`);
      else if (kind === 'approval')
        res = await api.call('POST', `/v1/models/${model}/versions/1/approvals`, {
          principal: 'ci-pipeline',
          body: { environment: 'staging', reason: `try ${i}` },
        });
      else if (kind === 'create-model') {
        const name = uniqueName('fresh');
        res = await call('POST', '/v1/models', { name });
        if (res.status === 201) created.push(name);
      } else {
        const latest = (await call('GET', `/v1/models/${model}`)).body?.latestVersion ?? 1;
        res = await call('POST', `/v1/models/${model}/versions/${latest}/transitions`, {
          to: 'DEPRECATED',
          reason: 'fault run',
        });
      }
      answers.push({ what: kind, res });
    };
    let next = 0;
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (next < REQUESTS) await one(next++);
      }),
    );
    const injected = (await api.call('GET', '/local/faults')).body.injected as number;
    await api.call('DELETE', '/local/faults');

    // Assess: only documented answers, 503s with Retry-After.
    for (const { what, res } of answers) {
      expect(res.status < 500 || res.status === 503, `${what}: ${res.status} ${res.text}`).toBe(true);
      if (res.status === 503)
        expect(res.headers.get('retry-after'), `${what}: 503 without Retry-After`).toBeTruthy();
    }
    const unavailable = answers.filter((a) => a.res.status === 503).length;
    expect(injected).toBeGreaterThan(0);

    // Nothing acknowledged is lost.
    let lost = 0;
    for (const ack of acknowledged) {
      const v = await api.call('GET', `/v1/models/${ack.model}/versions/${ack.version}`);
      if (v.status !== 200 || (ack.ready && v.body.status !== 'READY' && v.body.status !== 'DEPRECATED'))
        lost++;
    }
    for (const name of created) if ((await api.call('GET', `/v1/models/${name}`)).status !== 200) lost++;
    expect(lost).toBe(0);

    const report = await checkInvariants(api.call);
    expect(report.chains).toBeGreaterThan(2);
    figures.faults = { requests: answers.length, unavailable, writesLost: lost, injected };
  });
});
