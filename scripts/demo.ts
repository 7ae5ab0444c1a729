import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { baseUrlOf } from '#cli/context';
import { StewardClient } from '#client/client';
import { ApiError, NetworkError } from '#client/errors';
import { publish } from '#client/upload';
import { waitFor } from '#client/wait';

/**
 * `npm run demo`: a tour of Steward against a running local mode (`npm start` in another
 * terminal). Each step prints what it sent and what came back. It speaks through the typed client
 * the CLI uses, and finds the server the way the CLI does: STEWARD_URL, else localhost:$PORT.
 */
const base = baseUrlOf({}).replace(/\/$/, '');
const principal = process.env.STEWARD_PRINCIPAL ?? 'demo-pipeline';
const clients = new Map<string, StewardClient>();
const clientAs = (as: string) => {
  let client = clients.get(as);
  if (!client) clients.set(as, (client = new StewardClient({ baseUrl: base, principal: as })));
  return client;
};
const client = clientAs(principal);

let step = 0;
const say = (title: string, detail?: string) => {
  step++;
  process.stdout.write(`\n${step}. ${title}\n${detail ? `   ${detail.replaceAll('\n', '\n   ')}\n` : ''}`);
};

// biome-ignore lint/suspicious/noExplicitAny: the tour reads answers field by field as it prints them
const api = async (
  method: string,
  path: string,
  body?: unknown,
  quiet = false,
  as = principal,
): Promise<any> => {
  const { status, text } = await clientAs(as).send(method, path, body === undefined ? {} : { body });
  if (!quiet) process.stdout.write(`   ${method} ${path} -> ${status}\n`);
  return text ? JSON.parse(text) : undefined;
};

/** A line that shows a wait is alive: what it waits for, and what it has seen so far. */
const waiting = (what: string) => {
  const started = Date.now();
  let last = '';
  return {
    saw: (state: string) => {
      if (state === last) return;
      last = state;
      process.stdout.write(`   ... ${((Date.now() - started) / 1000).toFixed(1)} s: ${what}: ${state}\n`);
    },
  };
};

const main = async () => {
  // Down only when nothing answers; a server that answers badly says so as it is.
  try {
    await client.health();
  } catch (error) {
    if (error instanceof NetworkError)
      process.stderr.write(
        `Nothing answers at ${base} (${error.message}).\nStart Steward first: npm start` +
          ` (it listens on PORT, default 4000; set PORT or STEWARD_URL here to match)\n`,
      );
    else if (error instanceof ApiError)
      process.stderr.write(
        `${base} answers, but GET /v1/health said ${error.status}: ${error.problem.detail ?? error.problem.title}\n` +
          'Is STEWARD_URL (or PORT) pointing at Steward?\n',
      );
    else throw error;
    process.exit(1);
  }
  process.stdout.write(`Steward at ${base}, acting as ${principal}\n`);
  const name = `demo-churn-${new Date()
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 14)}`;

  say('Create a model', `name ${name}, owned by ${principal}`);
  await api('POST', '/v1/models', {
    name,
    description: 'Predicts which customers will cancel next month',
    purpose: 'retention campaigns',
    riskTier: 'medium',
    tags: { team: 'growth' },
  });

  const artifact = Buffer.concat([Buffer.from('steward demo model weights\n'), randomBytes(64 * 1024)]);
  const sha256 = createHash('sha256').update(artifact).digest('hex');
  say('Register version 1', `artifact model.bin, ${artifact.length} bytes, sha256 ${sha256}`);
  const registered = await api('POST', `/v1/models/${name}/versions`, {
    artifact: { sha256, sizeBytes: artifact.length, fileName: 'model.bin' },
    framework: 'xgboost',
    params: { max_depth: 6, eta: 0.3 },
    metrics: { auc: 0.91 },
    lineage: {
      code: { repository: 'https://git.example.com/growth/churn', commit: '4f2a9c1' },
      image: {
        uri: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn',
        digest: `sha256:${'b'.repeat(64)}`,
      },
      trainingRun: { id: 'run-2026-11-27-01' },
      datasets: [
        { uri: 's3://example-data/churn/2026-11.parquet', sha256: 'a'.repeat(64), role: 'training' },
      ],
    },
  });
  process.stdout.write(
    `   status ${registered.status}; upload to ${new URL(registered.upload.url).origin} (presigned PUT)\n`,
  );

  say('Upload the file straight to S3 through the presigned URL (no byte passes through Steward)');
  const put = await fetch(registered.upload.url, {
    method: 'PUT',
    headers: registered.upload.headers,
    body: artifact,
  });
  process.stdout.write(`   PUT <presigned> -> ${put.status}\n`);
  if (!put.ok) throw new Error(`upload failed: ${await put.text()}`);

  say('Commit: Steward checks the stored object against the registered size and sha256');
  const committed = await api('POST', `/v1/models/${name}/versions/1/commit`);
  process.stdout.write(`   status ${committed.status}, stored at ${committed.artifact.uri}\n`);

  say('Point the alias champion at version 1');
  await api('PUT', `/v1/models/${name}/aliases/champion`, { version: 1 });
  const champion = await api('GET', `/v1/models/${name}/aliases/champion`);
  process.stdout.write(`   champion -> version ${champion.version} (${champion.status})\n`);

  say('Download it back through a presigned GET and compare');
  const { url } = await api('GET', `/v1/models/${name}/versions/1/artifact`);
  const downloaded = Buffer.from(await (await fetch(url)).arrayBuffer());
  const same = createHash('sha256').update(downloaded).digest('hex') === sha256;
  process.stdout.write(
    `   ${downloaded.length} bytes, ${same ? 'identical to what was uploaded' : 'DIFFERENT from the upload'}\n`,
  );
  if (!same) process.exitCode = 1;

  say('The model now');
  const model = await api('GET', `/v1/models/${name}`);
  process.stdout.write(`   latestVersion ${model.latestVersion}, aliases ${JSON.stringify(model.aliases)}\n`);

  say('Lineage: where version 1 came from, as a Mermaid flowchart (paste it into mermaid.live)');
  const graph = await fetch(`${base}/v1/lineage?node=model-version:${name}:1&direction=upstream`, {
    headers: { accept: 'text/vnd.mermaid', 'x-steward-principal': principal },
  });
  process.stdout.write(
    `   GET /v1/lineage?node=model-version:${name}:1&direction=upstream -> ${graph.status}\n`,
  );
  process.stdout.write(`${(await graph.text()).replace(/^/gm, '   ')}`);

  say('Reproducibility manifest of version 1');
  const manifest = await api('GET', `/v1/models/${name}/versions/1/manifest`);
  process.stdout.write(
    `   reproducible: ${manifest.reproducible}${manifest.missing.length ? `; missing ${manifest.missing.map((m: { path: string }) => m.path).join(', ')}` : ''}\n`,
  );

  say('Write the model card (what a model-risk inventory keeps)');
  await api('PUT', `/v1/models/${name}/card`, {
    purpose: 'Predict which customers cancel next month',
    intendedUse: 'Ranking customers for retention offers',
    limitations: 'Not for pricing or credit decisions',
    owners: [principal],
    validators: ['model-risk@example.com'],
    validation: { done: [{ date: '2026-11-20', by: 'model-risk@example.com', outcome: 'approved' }] },
    validityEnd: '2027-11-20',
    riskTier: 'medium',
  });

  say('Audit trail of the model, and its hash chain verified');
  const trail = await api('GET', `/v1/audit?model=${name}&limit=100`);
  for (const e of trail.items as { seq: number; action: string; actor: string; hash: string }[])
    process.stdout.write(`   #${e.seq} ${e.action.padEnd(20)} by ${e.actor}  ${e.hash.slice(0, 16)}...\n`);
  const verified = await api('GET', `/v1/audit/verify?model=${name}`);
  process.stdout.write(`   chain valid: ${verified.valid} (${verified.events} events)\n`);

  say('Inventory row (CSV, as a spreadsheet would open it)');
  const csv = await (
    await fetch(`${base}/v1/inventory?format=csv`, { headers: { 'x-steward-principal': principal } })
  ).text();
  const [header, ...rows] = csv.split('\r\n');
  process.stdout.write(`   ${header}\n   ${rows.find((r) => r.startsWith(`${name},`)) ?? ''}\n`);

  say(
    'Ask for approval to serve version 1 in prod (the policy: model-risk and tech-leads must each approve)',
  );
  const approval = await api('POST', `/v1/models/${name}/versions/1/approvals`, {
    environment: 'prod',
    reason: 'Monthly retrain; AUC up 0.02',
  });
  process.stdout.write(
    `   request ${approval.id}: ${approval.status}, approvers ${approval.approvers.join(', ')}\n`,
  );

  say('The emails the approvers got (local outbox), each with a personal link');
  type Mail = { to: string; subject: string; links: string[] };
  const mailWait = waiting('approval emails sent');
  const mails: Mail[] = await waitFor({
    what: 'the approval emails',
    read: async () =>
      ((await api('GET', '/local/outbox', undefined, true)) as Mail[]).filter((m) =>
        m.subject.includes(`${name} version 1`),
      ),
    onEach: (found) => mailWait.saw(`${found.length} of ${approval.approvers.length}`),
    done: (found) => (found.length >= approval.approvers.length ? found : undefined),
    timeoutMs: 30_000,
    intervalMs: 200,
  });
  for (const mail of mails) process.stdout.write(`   to ${mail.to}: ${mail.links[0]}\n`);

  for (const approver of ['risk-officer@example.com', 'lead@example.com']) {
    const link = mails.find((m) => m.to === approver)?.links[0];
    if (!link) throw new Error(`no link reached ${approver}`);
    say(`${approver} opens the link (GET changes nothing) and clicks Approve (a form POST)`);
    const opened = await fetch(link);
    const html = await opened.text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
    process.stdout.write(
      `   GET <link> -> ${opened.status}, page shows "${/<h1>(.*?)<\/h1>/s.exec(html)?.[1]?.replace(/<[^>]+>/g, '')}"\n`,
    );
    const posted = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ decision: 'approve', comment: 'Validated against the holdout set', csrf }),
    });
    const result = await posted.text();
    process.stdout.write(
      `   POST <link> -> ${posted.status}: ${/<h1 id="result">(.*?)<\/h1>/s.exec(result)?.[1]}\n`,
    );
  }
  const quorum = waiting(`request ${approval.id}`);
  const state = await waitFor({
    what: `approval ${approval.id}`,
    read: () => client.getApproval(approval.id),
    onEach: (a) =>
      quorum.saw(
        `${a.status}; ${a.groups.map((g) => `${g.name} ${g.approvals}/${g.minApprovals}`).join(', ')}`,
      ),
    done: (a) => (a.status === 'PENDING' ? undefined : a),
    timeoutMs: 30_000,
    intervalMs: 200,
  });
  process.stdout.write(`   request ${approval.id} is ${state.status}\n`);

  const deploymentId = await deployTour(name, artifact);
  await driftTour(name, deploymentId);

  say('Domain events emitted for this model (local stand-in for EventBridge)');
  const events = (await api('GET', '/local/events')) as {
    'detail-type': string;
    detail: { model: string; seq: string };
  }[];
  for (const e of events.filter((e) => e.detail.model === name))
    process.stdout.write(`   #${e.detail.seq} ${e['detail-type']}\n`);

  process.stdout.write('\nDone.\n');
};

type Deployment = { id: string; status: string; history: { step: string }[] };

/** Wait for a deployment operation to record its outcome in its history. */
const settled = async (id: string, operation = 'deploy'): Promise<Deployment> => {
  const outcomes = new Set([
    'succeeded',
    'failed',
    'rolled-back',
    'decommissioned',
    'rollback-failed',
    'failed-to-start',
  ]);
  const progress = waiting(`${id} (${operation})`);
  return waitFor({
    what: `deployment ${id}`,
    read: () => api('GET', `/v1/deployments/${id}`, undefined, true),
    // Each step as the workflow records it: the wait shows what it is waiting through.
    onEach: (d) => progress.saw(`${d.status}, step ${d.history.at(-1)?.step ?? '-'}`),
    done: (d) =>
      d.operation === operation && outcomes.has(d.history.at(-1)?.step) ? (d as Deployment) : undefined,
    timeoutMs: 150_000,
    intervalMs: 250,
  });
};

/** Deploy the approved version to a simulated prod endpoint, then a second version, then roll back. */
const deployTour = async (name: string, artifact: Buffer) => {
  const endpoint = `steward-${name}`.slice(0, 63);
  const target = {
    kind: 'sagemaker',
    endpointName: endpoint,
    instanceType: 'ml.m5.large',
    dataCapture: { destinationS3Uri: 's3://steward-capture/demo' },
  };

  say(
    `Deploy version 1 to the prod endpoint ${endpoint} (simulated SageMaker; prod needs the approval above)`,
  );
  const first = await api('POST', `/v1/models/${name}/versions/1/deployments`, {
    environment: 'prod',
    target,
    strategy: { kind: 'all-at-once', bakeMinutes: 1 },
  });
  const one = await settled(first.id);
  process.stdout.write(`   ${first.id}: ${one.status} (${one.history.map((h) => h.step).join(' -> ')})\n`);

  say('Register version 2, get it approved, and deploy it with a 10% canary (blue/green, alarms watched)');
  // This time as a pipeline would: the client hashes, uploads and commits in one call.
  const dir = await mkdtemp(join(tmpdir(), 'steward-demo-v2-'));
  const file = join(dir, 'model.bin');
  await writeFile(file, Buffer.concat([artifact, Buffer.from('v2')]));
  const shown = new Set<string>();
  const published = await publish(client, name, {
    file,
    metadata: {
      framework: 'xgboost',
      params: { max_depth: 7, eta: 0.2 },
      metrics: { auc: 0.93 },
      lineage: {
        code: { repository: 'https://git.example.com/growth/churn', commit: '5e1d0aa' },
        image: {
          uri: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn',
          digest: `sha256:${'b'.repeat(64)}`,
        },
        datasets: [
          { uri: 's3://example-data/churn/2026-12.parquet', sha256: 'c'.repeat(64), role: 'training' },
        ],
      },
    },
    onProgress: (p) => {
      const line = `${p.phase} ${p.done === p.total ? 'done' : 'started'} (${p.total} bytes)`;
      if (p.done !== 0 && p.done !== p.total) return;
      if (!shown.has(line)) process.stdout.write(`   ... ${line}\n`);
      shown.add(line);
    },
  });
  await rm(dir, { recursive: true, force: true });
  process.stdout.write(`   version ${published.version.version} is ${published.version.status}\n`);
  const request = await api('POST', `/v1/models/${name}/versions/2/approvals`, {
    environment: 'prod',
    reason: 'canary of v2',
  });
  for (const approver of ['validator@example.com', 'lead@example.com'])
    await api(
      'POST',
      `/v1/approvals/${request.id}/decisions`,
      { decision: 'approve', comment: 'ok' },
      false,
      approver,
    );
  const canary = await api('POST', `/v1/models/${name}/versions/2/deployments`, {
    environment: 'prod',
    target,
    strategy: { kind: 'canary', percent: 10, bakeMinutes: 5 },
  });
  const two = await settled(canary.id);
  process.stdout.write(`   ${canary.id}: ${two.status} (${two.history.map((h) => h.step).join(' -> ')})\n`);

  say('Roll version 2 back by hand (the previous version serves again)');
  await api('POST', `/v1/deployments/${canary.id}/rollback`, {
    reason: 'demo: latency regression seen by the SRE',
  });
  const back = await settled(canary.id, 'rollback');
  process.stdout.write(`   ${canary.id}: ${back.status}\n`);

  say(`What served on ${endpoint} in prod, and when`);
  const served = await api(
    'GET',
    `/v1/environments/prod/served?target=${encodeURIComponent(`sagemaker:${endpoint}`)}`,
  );
  for (const s of [...served.items].reverse() as {
    version: number;
    from: string;
    to?: string;
    deploymentId: string;
  }[])
    process.stdout.write(
      `   version ${s.version}  from ${s.from}  to ${s.to ?? 'now'}  (${s.deploymentId})\n`,
    );
  return first.id as string;
};

/** A seeded normal generator, so the demo's figures are the same every run. */
const gaussian = (seed: number) => {
  let state = seed;
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31 || 1e-9;
  };
  return () => Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());
};

/** Baseline from a generated reference set, a captured window with a shifted feature, a drift run. */
const driftTour = async (name: string, deploymentId: string) => {
  const dir = await mkdtemp(join(tmpdir(), 'steward-demo-drift-'));
  const normal = gaussian(42);
  const reference = ['tenure,monthly_spend,support_calls,plan'];
  for (let i = 0; i < 5000; i++)
    reference.push(
      [
        (24 + 12 * normal()).toFixed(2),
        (60 + 15 * normal()).toFixed(2),
        Math.max(0, Math.round(2 + normal())),
        i % 3 ? 'basic' : 'pro',
      ].join(','),
    );
  await writeFile(join(dir, 'reference.csv'), `${reference.join('\n')}\n`);

  say('Baseline for version 1 from a generated reference set (5,000 rows, local file:// URI)');
  const profile = await api('PUT', `/v1/models/${name}/versions/1/baseline`, {
    dataset: { uri: pathToFileURL(join(dir, 'reference.csv')).href, format: 'csv' },
  });
  for (const f of profile.features as { name: string; kind: string }[])
    process.stdout.write(`   ${f.name}: ${f.kind}\n`);

  // What SageMaker data capture writes: JSONL under yyyy/mm/dd/hh, CSV-encoded input.
  const now = new Date();
  const hour = now.toISOString().slice(0, 13).replace(/[-T]/g, '/');
  await mkdir(join(dir, 'capture', 'AllTraffic', hour), { recursive: true });
  const lines: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const row = [
      (24 + 12 * normal()).toFixed(2),
      (78 + 15 * normal()).toFixed(2),
      Math.max(0, Math.round(2 + normal())),
      i % 4 ? 'basic' : 'enterprise',
    ];
    lines.push(
      JSON.stringify({
        captureData: {
          endpointInput: {
            observedContentType: 'text/csv',
            mode: 'INPUT',
            data: row.join(','),
            encoding: 'CSV',
          },
          endpointOutput: { observedContentType: 'text/csv', mode: 'OUTPUT', data: '0.5', encoding: 'CSV' },
        },
        eventMetadata: {
          eventId: `e${i}`,
          inferenceId: `i${i}`,
          inferenceTime: new Date(now.getTime() - 60_000 + i).toISOString(),
        },
        eventVersion: '0',
      }),
    );
  }
  await writeFile(join(dir, 'capture', 'AllTraffic', hour, 'capture.jsonl'), `${lines.join('\n')}\n`);

  say('Monitor the prod deployment: its capture, a daily schedule, an alarm on the drifted share');
  const monitor = await api('PUT', `/v1/deployments/${deploymentId}/monitoring`, {
    capture: { uri: pathToFileURL(join(dir, 'capture')).href, format: 'sagemaker-capture' },
    schedule: 'rate(1 day)',
  });
  process.stdout.write(`   alarm ${monitor.alarmName}; next scheduled run ${monitor.nextRunAt}\n`);

  say('Run drift now over the last hour (monthly_spend shifted up, a new plan "enterprise")');
  const report = await api('POST', `/v1/deployments/${deploymentId}/drift-runs`, {
    from: new Date(now.getTime() - 3_600_000).toISOString(),
    to: new Date(now.getTime() + 60_000).toISOString(),
  });
  const fixed = (v: unknown) => (typeof v === 'number' ? v.toFixed(4) : '-');
  process.stdout.write(
    `   ${report.rows} rows; drifted share ${fixed(report.driftedShare)}; status ${report.status}\n`,
  );
  process.stdout.write(
    `   ${'feature'.padEnd(15)} ${'kind'.padEnd(12)} ${'PSI'.padStart(8)} ${'JS'.padStart(8)} ${'KS p'.padStart(10)} ${'W/std'.padStart(8)} ${'chi2 p'.padStart(10)}  drifted\n`,
  );
  for (const f of report.features as Record<string, unknown>[]) {
    const unseen =
      Array.isArray(f.unseenCategories) && f.unseenCategories.length
        ? ` (unseen: ${f.unseenCategories.join(', ')})`
        : '';
    process.stdout.write(
      `   ${String(f.name).padEnd(15)} ${String(f.kind).padEnd(12)} ${fixed(f.psi).padStart(8)} ${fixed(f.jsDistance).padStart(8)} ${fixed(f.ksPValue).padStart(10)} ${fixed(f.wassersteinNorm).padStart(8)} ${fixed(f.chiSquarePValue).padStart(10)}  ${f.drifted ? 'YES' : 'no'}${unseen}\n`,
    );
  }
  process.stdout.write(
    [
      '   What the figures say (each compares the window with the baseline, per feature):',
      '   PSI     Population Stability Index over the baseline bins: under 0.1 stable, 0.1-0.2 a shift, 0.2+ drifted.',
      '   JS      Jensen-Shannon distance (natural log): 0 identical distributions, at most 0.83 (ln 2) disjoint.',
      '   KS p    Kolmogorov-Smirnov p-value (numeric): below 0.05, the two samples are unlikely to share a distribution.',
      '   W/std   Wasserstein (earth mover) distance over the baseline standard deviation: how far values moved, in stds.',
      '   chi2 p  chi-square p-value (categorical): below 0.05, the category mix changed; unseen categories count too.',
      `   drifted share  drifted features / features (${fixed(report.driftedShare)} here); the alarm fires at the monitor's alarmThreshold (0.3 by default).`,
    ].join('\n') + '\n',
  );
  await rm(dir, { recursive: true, force: true });
};

main().catch((error: Error) => {
  process.stderr.write(`demo failed: ${error.message}\n`);
  process.exit(1);
});
