import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { DriftFeature, DriftReport, LineageGraph, LineageNode } from '#client/client';
import { UsageError } from '#client/errors';
import { NodeKind } from '#domain/lineage';
import { integer, resolveVersion } from '../args.ts';
import type { Run } from '../context.ts';
import type { Output } from '../output.ts';
import { OutcomeError } from './workflows.ts';

/** `churn:3` is shorthand for the node `model-version:churn:3`; anything else is `<kind>:<id>`. */
export const nodeOf = (ref: string): string => {
  const kinds: readonly string[] = NodeKind.options;
  const kind = ref.slice(0, ref.indexOf(':'));
  if (kinds.includes(kind)) return ref;
  if (/^[A-Za-z0-9][A-Za-z0-9._-]*:\d+$/.test(ref)) return `model-version:${ref}`;
  throw new UsageError(
    `a node is <kind>:<id> (kinds: ${kinds.join(', ')}) or <model>:<version>, not "${ref}"`,
  );
};

const key = (n: LineageNode) => `${n.kind}:${n.id}`;

/** The graph as an indented tree from the start node: upstream (what it came from) and downstream. */
export const lineageTree = (out: Output, graph: LineageGraph, start: string): string[] => {
  const lines: string[] = [];
  const label = (n: LineageNode) => `${out.colors.dim(`${n.kind}`)} ${n.id}`;
  const byKey = new Map(graph.nodes.map((n) => [key(n), n]));
  const walk = (at: string, dir: 'up' | 'down', prefix: string, seen: Set<string>) => {
    const edges = graph.edges.filter((e) => key(dir === 'down' ? e.from : e.to) === at);
    edges.forEach((e, i) => {
      const next = dir === 'down' ? e.to : e.from;
      const last = i === edges.length - 1;
      const arrow = dir === 'down' ? `--${e.relation}-->` : `<--${e.relation}--`;
      const looped = seen.has(key(next));
      lines.push(
        `${prefix}${last ? '└─' : '├─'} ${out.colors.dim(arrow)} ${label(byKey.get(key(next)) ?? next)}${looped ? ' (seen)' : ''}`,
      );
      if (!looped) walk(key(next), dir, `${prefix}${last ? '   ' : '│  '}`, new Set([...seen, key(next)]));
    });
  };
  const root = byKey.get(start);
  lines.push(out.colors.bold(root ? label(root) : start));
  const up = graph.edges.some((e) => key(e.to) === start);
  const down = graph.edges.some((e) => key(e.from) === start);
  if (up) {
    lines.push(out.colors.dim(' upstream'));
    walk(start, 'up', ' ', new Set([start]));
  }
  if (down) {
    lines.push(out.colors.dim(' downstream'));
    walk(start, 'down', ' ', new Set([start]));
  }
  return lines;
};

const fixed = (v: number | null | undefined, digits = 4) =>
  v === null || v === undefined ? '' : v.toFixed(digits);

export const driftTable = (out: Output, report: DriftReport) => {
  out.record([
    ['run', report.id],
    ['deployment', report.deploymentId],
    ['window', `${report.window.from} .. ${report.window.to}`],
    ['rows', report.rows],
    ['drifted share', `${(report.driftedShare * 100).toFixed(1)}% of features drifted`],
  ]);
  out.line();
  const rows = [
    ...report.features,
    ...(report.prediction
      ? [{ ...report.prediction, name: `${report.prediction.name ?? 'prediction'} (prediction)` }]
      : []),
  ];
  out.table(rows as unknown as Record<string, unknown>[], [
    { key: 'drifted', title: ' ', format: (d) => (d ? out.colors.red('✱') : ' ') },
    {
      key: 'name',
      title: 'FEATURE',
      format: (n, r) => ((r as unknown as DriftFeature).drifted ? out.colors.red(String(n)) : String(n)),
    },
    { key: 'kind' },
    { key: 'psi', title: 'PSI', format: (v) => fixed(v as number) },
    { key: 'jsDistance', title: 'JS', format: (v) => fixed(v as number) },
    { key: 'ksStatistic', title: 'KS', format: (v) => fixed(v as number) },
    { key: 'ksPValue', title: 'KS P', format: (v) => fixed(v as number) },
    { key: 'chiSquarePValue', title: 'CHI2 P', format: (v) => fixed(v as number) },
    { key: 'missingShare', title: 'MISSING', format: (v) => fixed(v as number, 3) },
    { key: 'reason', title: 'NOTE' },
  ]);
  out.line();
  out.line(
    out.colors.dim(
      '✱ drifted. PSI: population stability index (above 0.2 is a large shift). JS: Jensen-Shannon distance, 0 same to 1 disjoint. KS: largest gap between the two cumulative distributions, with its p-value (small p: the samples differ). CHI2 P: chi-square test of the category counts.',
    ),
  );
};

export const evidenceCommands = (program: Command, run: Run) => {
  program
    .command('lineage <node>')
    .description('walk the lineage graph from a node (<kind>:<id>, or <model>:<version>)')
    .option('--direction <dir>', 'upstream, downstream or both', 'both')
    .option('--depth <n>', 'levels, 1 to 10', integer('--depth'), 5)
    .option('--format <format>', 'tree, mermaid, json or html (a page with the picture)', 'tree')
    .option('-o, --output <path>', 'write to a file instead of stdout (html: open it in a browser)')
    .action(
      run(async ({ client, out }, ref: string, o) => {
        const node = nodeOf(ref);
        const query = { direction: o.direction, depth: o.depth };
        const format = out.json ? 'json' : o.format;
        if (format === 'html' || o.output) {
          const text =
            format === 'html'
              ? await client.lineageHtml(node, query)
              : format === 'mermaid'
                ? await client.lineageMermaid(node, query)
                : format === 'json'
                  ? JSON.stringify(await client.lineage(node, query), null, 2)
                  : lineageTree(out, await client.lineage(node, query), node).join('\n');
          if (!o.output) return out.line(text.trimEnd());
          await writeFile(o.output, text.endsWith('\n') ? text : `${text}\n`);
          return out.note(`wrote ${o.output}`);
        }
        if (format === 'mermaid') return out.line((await client.lineageMermaid(node, query)).trimEnd());
        if (format !== 'tree' && format !== 'json')
          throw new UsageError('--format is tree, mermaid, json or html');
        const graph = await client.lineage(node, query);
        if (format === 'json') return out.line(JSON.stringify(graph, null, 2));
        for (const line of lineageTree(out, graph, node)) out.line(line);
      }),
    );

  program
    .command('evidence <model> <version>')
    .description(
      'the evidence pack of a version (a number, an alias, or "latest") for audit: card, manifest, lineage, approvals, deployments, drift and the verified audit trail, as one self-contained HTML page',
    )
    .option('-o, --output <path>', 'save the page to this file (default: evidence-<model>-v<version>.html)')
    .action(
      run(async ({ client, out }, model: string, version: string, o) => {
        const number = await resolveVersion(client, model, version);
        const html = await client.evidencePack(model, number);
        const file = o.output ?? `evidence-${model}-v${number}.html`;
        await writeFile(file, html);
        out.result({ model, version: number, file, bytes: Buffer.byteLength(html) }, () =>
          out.note(`wrote ${file}`),
        );
      }),
    );

  const audit = program.command('audit').description('read and verify the audit trail');
  audit
    .command('list')
    .description('audit events, by model, actor or time')
    .option('--model <name>', 'one model’s chain (_system for the rest)')
    .option('--actor <principal>', 'what one principal did')
    .option('--from <iso>', 'from this time')
    .option('--to <iso>', 'until this time')
    .option('--limit <n>', 'at most this many', integer('--limit'))
    .action(
      run(async ({ client, out }, o) => {
        if (!o.model && !o.actor && !o.from) throw new UsageError('give --model, --actor or --from');
        const page = await client.listAudit({
          model: o.model,
          actor: o.actor,
          from: o.from,
          to: o.to,
          limit: o.limit,
        });
        out.result(page, () =>
          out.table(page.items as never, [
            { key: 'seq' },
            { key: 'at' },
            { key: 'actor' },
            { key: 'action' },
            { key: 'target' },
          ]),
        );
      }),
    );
  audit
    .command('verify <model>')
    .description('recompute a model’s hash chain from its first event')
    .action(
      run(async ({ client, out }, model: string) => {
        const v = await client.verifyAudit(model);
        out.result(v, () =>
          out.line(
            v.valid
              ? `${out.colors.green('✔')} ${model}: ${v.events} events, chain intact`
              : `${out.colors.red('✘')} ${model}: chain broken at event ${v.brokenAt} of ${v.events}`,
          ),
        );
        if (!v.valid) throw new OutcomeError(`the audit chain of ${model} is broken at ${v.brokenAt}`);
      }),
    );

  const drift = program.command('drift').description('run and show drift reports');
  drift
    .command('run <deployment>')
    .description('compute drift now over a window (default: the monitor’s last period)')
    .option('--from <iso>', 'window start')
    .option('--to <iso>', 'window end')
    .action(
      run(async ({ client, out }, id: string, o) => {
        const r = await client.runDrift(id, {
          ...(o.from ? { from: o.from } : {}),
          ...(o.to ? { to: o.to } : {}),
        });
        out.result(r, () => driftTable(out, r));
      }),
    );
  drift
    .command('show <deployment>')
    .description('the latest drift report (or --run <id>), drifted features marked')
    .option('--run <id>', 'a given run')
    .action(
      run(async ({ client, out }, id: string, o) => {
        const runs = await client.listDriftRuns(id, { limit: o.run ? 100 : 1 });
        const r = o.run ? runs.items.find((x) => x.id === o.run) : runs.items[0];
        if (!r)
          throw new UsageError(
            o.run ? `no run ${o.run} among the last 100` : `deployment ${id} has no drift runs yet`,
          );
        out.result(r, () => driftTable(out, r));
      }),
    );

  drift
    .command('report <deployment>')
    .description('the drift report as a page (histograms per feature): its URL, or saved with -o')
    .option('--run <id>', 'a given run (default: the latest)')
    .option('-o, --output <path>', 'save the page to this file')
    .action(
      run(async ({ client, out }, id: string, o) => {
        const link = await client.driftReportUrl(id, o.run ?? 'latest');
        if (!o.output) return out.result(link, () => out.line(link.url));
        const response = await fetch(link.url);
        if (!response.ok) throw new UsageError(`the report could not be fetched (HTTP ${response.status})`);
        await writeFile(o.output, await response.text());
        out.note(`wrote ${o.output} (run ${link.runId})`);
      }),
    );

  program
    .command('inventory')
    .description('the model inventory')
    .command('export')
    .description('one row per model: owner, risk, versions, what is deployed where, last approval and drift')
    .option('--format <format>', 'json or csv', 'csv')
    .option('-o, --output <path>', 'write to a file instead of stdout')
    .action(
      run(async ({ client, out }, o) => {
        const format = out.json ? 'json' : o.format;
        if (format !== 'json' && format !== 'csv') throw new UsageError('--format is json or csv');
        const text =
          format === 'csv' ? await client.inventoryCsv() : JSON.stringify(await client.inventory(), null, 2);
        if (o.output) {
          await writeFile(o.output, text.endsWith('\n') ? text : `${text}\n`);
          out.note(`wrote ${o.output}`);
        } else out.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      }),
    );
};
