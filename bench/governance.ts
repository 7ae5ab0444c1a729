import { getModel, updateModel } from '#adapters/registry-table';
import { dynamo } from '#commons/clients';
import type { NodeRef } from '#domain/lineage';
import { startLocalSystem } from '#local/system';
import { type Api, apiAt, artifactBytes, expectStatus, readyModel, registerBody, upload } from './api.ts';
import { describeCommands } from './dynamo-requests.ts';
import { heading, marker, median, ms, note, print, type TargetResult, table } from './report.ts';

/**
 * Governance reads in local mode, in this process:
 * - lineage: a model version with an upstream graph 12 levels deep (4 datasets and feature sets
 *   per level, each with 2 parents one level up, so diamonds everywhere, a teacher model version,
 *   a cycle), walked through GET /v1/lineage for depths 1..10. Every DynamoDB request of a walk is
 *   timed by a middleware on the handlers' client (finalizeRequest, low priority: inside the retry
 *   loop, around the wire call); "requests in sequence" is the longest chain of requests each of
 *   which started after the previous one ended. Target: at most depth + 1.
 * - audit: a model whose chain holds 10,001 events (created + 10,000 updates written through
 *   `updateModel`, the path PATCH /v1/models takes), verified through GET /v1/audit/verify.
 */
export interface TimedRequest {
  command: string;
  start: number;
  end: number;
}

export interface LineageWalk {
  direction: 'upstream' | 'downstream' | 'both';
  depth: number;
  status: number;
  nodes: number;
  edges: number;
  requests: number;
  inSequence: number;
  commands: string[];
  ms: number;
  target: number;
  marker: 'PASS' | 'OVER';
}

export interface AuditVerify {
  model: string;
  events: number;
  valid: boolean;
  writeSeconds: number;
  runsMs: number[];
  medianMs: number;
  eventsPerSecond: number;
  requests: number;
  commands: string[];
}

export interface Governance {
  graph: { levels: number; width: number; edgesPosted: number; setupSeconds: number };
  walks: LineageWalk[];
  audit: AuditVerify;
}

const MODEL = 'bench-lineage';
const TEACHER = 'bench-lineage-teacher';
const AUDIT_MODEL = 'bench-audit';
/** Levels of the upstream graph above the model version; deeper than the deepest walk. */
const LEVELS = 12;
/** Nodes per level: datasets at even positions, feature sets at odd ones. */
const WIDTH = 4;
const MAX_WALK = 10;
const BOTH_DEPTHS = [3, 10];
const AUDIT_UPDATES = 10_000;
const VERIFY_RUNS = 3;

/** The longest chain of requests in which each starts after the previous one ended. */
export const requestsInSequence = (requests: readonly TimedRequest[]): number => {
  const sorted = [...requests].sort((a, b) => a.start - b.start || a.end - b.end);
  const chain: number[] = [];
  let longest = 0;
  sorted.forEach((r, i) => {
    let best = 0;
    for (let j = 0; j < i; j++) if (sorted[j]!.end <= r.start) best = Math.max(best, chain[j]!);
    chain[i] = best + 1;
    longest = Math.max(longest, chain[i]!);
  });
  return longest;
};

const node = (level: number, i: number): NodeRef =>
  level === 1 && i < 2
    ? { kind: 'dataset', id: `s3://bench-lineage/L1-${i}.parquet` }
    : { kind: i % 2 === 0 ? 'dataset' : 'feature-set', id: `bench/L${level}-${i}` };

const nodeParam = (n: NodeRef) => encodeURIComponent(`${n.kind}:${n.id}`);

/** The model version, its registration lineage, and the graph above it, through the HTTP API. */
const buildGraph = async (api: Api): Promise<number> => {
  await readyModel(api, TEACHER);
  expectStatus(`create model ${MODEL}`, await api.call('POST', '/v1/models', { body: { name: MODEL } }), 201);
  const bytes = artifactBytes(MODEL);
  const registered = expectStatus(
    `register ${MODEL} v1`,
    await api.call('POST', `/v1/models/${MODEL}/versions`, {
      body: {
        ...registerBody(bytes),
        lineage: {
          datasets: [0, 1].map((i) => ({ uri: node(1, i).id, role: i ? 'validation' : 'train' })),
          code: { repository: 'https://git.example.com/bench/lineage', commit: 'a'.repeat(40) },
          image: { uri: 'registry.example.com/bench/train', digest: `sha256:${'b'.repeat(64)}` },
          trainingRun: { id: 'bench-run-1' },
        },
      },
    }),
    201,
  );
  const put = await upload(registered, bytes);
  if (put >= 300) throw new Error(`upload of ${MODEL} v1 answered ${put}`);
  expectStatus(`commit ${MODEL} v1`, await api.call('POST', `/v1/models/${MODEL}/versions/1/commit`), 200);

  const root: NodeRef = { kind: 'model-version', id: `${MODEL}:1` };
  const edges: { from: NodeRef; to: NodeRef; relation: string }[] = [
    // Level 1 beside the registration's datasets: two feature sets.
    { from: node(1, 2), to: root, relation: 'features' },
    { from: node(1, 3), to: root, relation: 'features' },
    // A teacher model version upstream of the training run.
    {
      from: { kind: 'model-version', id: `${TEACHER}:1` },
      to: { kind: 'training-run', id: 'bench-run-1' },
      relation: 'distils',
    },
    // Downstream, for the `both` walks.
    { from: root, to: { kind: 'deployment', id: `${MODEL}-prod` }, relation: 'deployed-as' },
    {
      from: { kind: 'deployment', id: `${MODEL}-prod` },
      to: { kind: 'endpoint', id: `${MODEL}-endpoint` },
      relation: 'serves',
    },
  ];
  // Each node has two parents one level up: every pair of neighbours shares a parent (diamonds).
  for (let level = 1; level < LEVELS; level++)
    for (let i = 0; i < WIDTH; i++)
      for (const p of [i, (i + 1) % WIDTH])
        edges.push({ from: node(level + 1, p), to: node(level, i), relation: 'derives' });
  // A cycle: level 3 feeds back into level 6, which (through 5 and 4) feeds level 3.
  edges.push({ from: node(3, 0), to: node(6, 0), relation: 'refreshes' });
  for (const edge of edges)
    expectStatus(
      `edge ${edge.from.id} -> ${edge.to.id}`,
      await api.call('POST', '/v1/lineage/edges', { body: edge }),
      201,
    );
  return edges.length;
};

export const measureGovernance = async (): Promise<Governance> => {
  const system = await startLocalSystem();
  try {
    const sent: TimedRequest[] = [];
    let recording = false;
    dynamo().middlewareStack.add(
      (next, context) => async (args) => {
        if (!recording) return next(args);
        const request: TimedRequest = {
          command: (context.commandName ?? 'unknown').replace(/Command$/, ''),
          start: performance.now(),
          end: Number.NaN,
        };
        sent.push(request);
        try {
          return await next(args);
        } finally {
          request.end = performance.now();
        }
      },
      { step: 'finalizeRequest', priority: 'low', name: 'benchTimeRequests' },
    );
    const api = apiAt(system.url);
    const record = async <T>(
      act: () => Promise<T>,
    ): Promise<{ result: T; requests: TimedRequest[]; ms: number }> => {
      sent.length = 0;
      recording = true;
      const started = performance.now();
      try {
        const result = await act();
        return { result, requests: [...sent], ms: performance.now() - started };
      } finally {
        recording = false;
      }
    };

    note(`building a lineage graph ${LEVELS} levels deep, ${WIDTH} nodes a level, through the API`);
    const setupStarted = performance.now();
    const edgesPosted = await buildGraph(api);
    const setupSeconds = (performance.now() - setupStarted) / 1000;

    const walks: LineageWalk[] = [];
    const walk = async (direction: LineageWalk['direction'], depth: number) => {
      const path = `/v1/lineage?node=${nodeParam({ kind: 'model-version', id: `${MODEL}:1` })}&direction=${direction}&depth=${depth}`;
      // One unrecorded walk first, so that the recorded one is not the first of its shape.
      expectStatus(`lineage ${direction} ${depth}`, await api.call('GET', path), 200);
      const { result, requests, ms: took } = await record(() => api.call('GET', path));
      const inSequence = requestsInSequence(requests);
      walks.push({
        direction,
        depth,
        status: result.status,
        nodes: result.body?.nodes?.length ?? 0,
        edges: result.body?.edges?.length ?? 0,
        requests: requests.length,
        inSequence,
        commands: requests.map((r) => r.command),
        ms: took,
        target: depth + 1,
        marker: marker(result.status === 200 && inSequence <= depth + 1),
      });
    };
    for (let depth = 1; depth <= MAX_WALK; depth++) await walk('upstream', depth);
    for (const depth of BOTH_DEPTHS) await walk('both', depth);

    note(`writing ${AUDIT_UPDATES.toLocaleString('en-US')} audit events to one model's chain`);
    expectStatus(
      `create model ${AUDIT_MODEL}`,
      await api.call('POST', '/v1/models', { body: { name: AUDIT_MODEL } }),
      201,
    );
    let head = await getModel(AUDIT_MODEL);
    if (!head) throw new Error(`${AUDIT_MODEL} was not found after its creation`);
    const writeStarted = performance.now();
    for (let i = 1; i <= AUDIT_UPDATES; i++) {
      const at = new Date().toISOString();
      const description = `update ${i} by the bench`;
      const event = await updateModel(head, { description }, 'bench', at);
      head = {
        ...head,
        description,
        updatedAt: at,
        updatedBy: 'bench',
        auditSeq: event.seq,
        auditHead: event.hash,
      };
    }
    const writeSeconds = (performance.now() - writeStarted) / 1000;

    note(`verifying the chain ${VERIFY_RUNS} times`);
    const verifyPath = `/v1/audit/verify?model=${AUDIT_MODEL}`;
    const runs: { ms: number; requests: TimedRequest[]; body: { valid?: boolean; events?: number } }[] = [];
    for (let run = 0; run < VERIFY_RUNS; run++) {
      const { result, requests, ms: took } = await record(() => api.call('GET', verifyPath));
      expectStatus('audit verify', result, 200);
      runs.push({ ms: took, requests, body: result.body ?? {} });
    }
    const medianMs = median(runs.map((r) => r.ms));
    const last = runs.at(-1)!;
    const events = last.body.events ?? 0;
    return {
      graph: { levels: LEVELS, width: WIDTH, edgesPosted, setupSeconds },
      walks,
      audit: {
        model: AUDIT_MODEL,
        events,
        valid: runs.every((r) => r.body.valid === true),
        writeSeconds,
        runsMs: runs.map((r) => r.ms),
        medianMs,
        eventsPerSecond: events / (medianMs / 1000),
        requests: last.requests.length,
        commands: last.requests.map((r) => r.command),
      },
    };
  } finally {
    await system.close();
  }
};

/** `Query x40, BatchGet x2` -> counts per command, most first. */
const countCommands = (commands: readonly string[]): string => {
  const counts = new Map<string, number>();
  for (const c of commands) counts.set(c, (counts.get(c) ?? 0) + 1);
  return [...counts].map(([c, n]) => (n > 1 ? `${c} x${n}` : c)).join(', ') || '-';
};

export const printGovernance = (g: Governance): void => {
  print(heading('Governance: lineage walks and audit verification'));
  print(
    `  Lineage: a model version with an upstream graph ${g.graph.levels} levels deep (${g.graph.width} datasets and feature sets a level,`,
  );
  print('  each with 2 parents one level up: diamonds), a teacher model version, a cycle (level 3 feeds');
  print(
    `  level 6) and a deployment downstream; ${g.graph.edgesPosted} edges POSTed (${g.graph.setupSeconds.toFixed(1)} s with the registrations).`,
  );
  print(
    "  Each walk is GET /v1/lineage from the model version, every DynamoDB request timed on the handlers'",
  );
  print(
    '  client (finalizeRequest, low priority, around the wire call), after one untimed walk of the same shape;',
  );
  print('  "in sequence" = the longest chain of requests each started after the previous one ended.');
  print();
  print(
    table(
      [
        { title: 'direction' },
        { title: 'depth', align: 'right' },
        { title: 'HTTP', align: 'right' },
        { title: 'nodes', align: 'right' },
        { title: 'edges', align: 'right' },
        { title: 'requests', align: 'right' },
        { title: 'in sequence', align: 'right' },
        { title: 'target', align: 'right' },
        { title: '' },
        { title: 'time', align: 'right' },
        { title: 'commands' },
      ],
      g.walks.map((w) => [
        w.direction,
        String(w.depth),
        String(w.status),
        String(w.nodes),
        String(w.edges),
        String(w.requests),
        String(w.inSequence),
        `<= ${w.target}`,
        w.marker,
        ms(w.ms),
        countCommands(w.commands),
      ]),
    ),
  );
  const a = g.audit;
  print();
  print(
    `  Audit: ${a.model} holds ${a.events.toLocaleString('en-US')} events (created + ${AUDIT_UPDATES.toLocaleString('en-US')} updates written through updateModel in ${a.writeSeconds.toFixed(1)} s);`,
  );
  print(`  GET /v1/audit/verify, ${a.runsMs.length} runs: ${a.runsMs.map((t) => ms(t)).join(', ')}.`);
  print();
  print(
    table(
      [
        { title: 'figure' },
        { title: 'valid' },
        { title: 'events', align: 'right' },
        { title: 'median', align: 'right' },
        { title: 'events/s', align: 'right' },
        { title: 'requests', align: 'right' },
        { title: 'commands, in order' },
        { title: 'target', align: 'right' },
      ],
      [
        [
          'audit verify',
          String(a.valid),
          a.events.toLocaleString('en-US'),
          ms(a.medianMs),
          Math.round(a.eventsPerSecond).toLocaleString('en-US'),
          String(a.requests),
          describeCommands(a.commands),
          '-',
        ],
      ],
    ),
  );
  if (!a.valid || a.events !== AUDIT_UPDATES + 1)
    print(
      `\n  ! expected a valid chain of ${AUDIT_UPDATES + 1} events, got valid ${a.valid} with ${a.events}`,
    );
};

export const governanceTargets = (g: Governance): TargetResult[] =>
  g.walks.map((w) => ({
    figure: `lineage ${w.direction} depth ${w.depth}: requests in sequence`,
    value: String(w.inSequence),
    target: `<= ${w.target}`,
    marker: w.marker,
  }));

/** Figures with no target in the issue, for the summary. */
export const governanceFigures = (g: Governance): Omit<TargetResult, 'marker'>[] => [
  {
    figure: `audit verify (${g.audit.events.toLocaleString('en-US')} events, valid ${g.audit.valid}): events/s`,
    value: `${Math.round(g.audit.eventsPerSecond).toLocaleString('en-US')}/s (${g.audit.requests} requests)`,
    target: '-',
  },
];
