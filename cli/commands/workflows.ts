import type { Command } from 'commander';
import type { ApprovalRequest, Deployment, HistoryEntry } from '#client/client';
import { StewardError, UsageError } from '#client/errors';
import { waitFor } from '#client/wait';
import { integer, jsonArg, resolveVersion, seconds } from '../args.ts';
import type { Context, Opts, Run } from '../context.ts';
import { type Output, plain } from '../output.ts';
import { statusColour } from './registry.ts';

/** The request ended, but not the way the caller hoped (rejected, expired, failed, rolled back). */
export class OutcomeError extends StewardError {}

const quorum = (out: Output, a: ApprovalRequest) =>
  a.groups.map((g) => {
    const filled = `${g.approvals}/${g.minApprovals}`;
    return `${g.name} ${g.done ? out.colors.green(`${filled} ✔`) : filled}`;
  });

const showApproval = (out: Output, a: ApprovalRequest) => {
  out.record([
    ['id', out.colors.bold(a.id)],
    ['version', `${a.model} v${a.version}`],
    ['environment', a.environment],
    ['status', statusColour(out, a.status)],
    ['quorum', quorum(out, a).join('   ')],
    ['approvers', a.approvers],
    ['requested', `${a.requestedAt} by ${a.requestedBy}${a.reason ? `: ${a.reason}` : ''}`],
    ['expires', a.expiresAt],
  ]);
  if (a.decisions.length) {
    out.line();
    out.table(a.decisions as never, [
      { key: 'at' },
      { key: 'by' },
      { key: 'group' },
      {
        key: 'decision',
        format: (d) => (d === 'approve' ? out.colors.green('approve') : out.colors.red(String(d))),
      },
      { key: 'comment' },
    ]);
  }
};

const waitApproval = async (ctx: Context, id: string, timeout: number, interval: number) => {
  const { client, out } = ctx;
  let seen = '';
  const final = await waitFor({
    what: `approval ${id}`,
    read: () => client.getApproval(id),
    onEach: (a) => {
      const now = `${a.status} ${quorum(out, a).join('   ')}`;
      if (now !== seen)
        out.note(
          `${new Date().toISOString().slice(11, 19)}  ${statusColour(out, a.status)}  ${quorum(out, a).join('   ')}`,
        );
      seen = now;
    },
    done: (a) => (a.status === 'PENDING' ? undefined : a),
    describe: (a) =>
      `${a.status}, ${a.groups.map((g) => `${g.name} ${g.approvals}/${g.minApprovals}`).join(', ')}`,
    timeoutMs: timeout * 1000,
    intervalMs: interval * 1000,
  });
  return final;
};

const stepLine = (out: Output, h: HistoryEntry) => {
  const detail = h.detail ? plain(h.detail) : '';
  const name = /fail|roll|alarm|error/.test(h.step) ? out.colors.red(h.step) : out.colors.cyan(h.step);
  return `${h.at.slice(11, 19)}  ${name}${detail ? `  ${out.colors.dim(detail)}` : ''}`;
};

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'ROLLED_BACK', 'DECOMMISSIONED']);

/** Follow a deployment, printing each history step once as it appears. */
export const followDeployment = async (
  ctx: Context,
  id: string,
  timeout: number,
  interval: number,
  until: (d: Deployment, seenSteps: number) => boolean = (d) => TERMINAL.has(d.status),
) => {
  const { client, out } = ctx;
  let shown = 0;
  return waitFor({
    what: `deployment ${id}`,
    read: () => client.getDeployment(id),
    onEach: (d) => {
      for (const h of d.history.slice(shown)) out.note(stepLine(out, h));
      shown = Math.max(shown, d.history.length);
    },
    done: (d) => (until(d, shown) ? d : undefined),
    describe: (d) => `${d.status}, last step ${d.history.at(-1)?.step ?? 'none'}`,
    timeoutMs: timeout * 1000,
    intervalMs: interval * 1000,
  });
};

const showDeployment = (out: Output, d: Deployment) => {
  out.record([
    ['id', out.colors.bold(d.id)],
    ['version', `${d.model} v${d.version}`],
    ['environment', d.environment],
    ['target', d.target],
    ['status', statusColour(out, d.status)],
    ['reason', d.statusReason],
    ['replaced', d.previousVersion === undefined ? undefined : `v${d.previousVersion}`],
  ]);
  if (d.history.length) {
    out.line();
    for (const h of d.history) out.line(stepLine(out, h));
  }
};

const waitFlags = (c: Command) =>
  c
    .option('--wait', 'follow it until it ends')
    .option('--timeout <duration>', 'how long --wait waits (90s, 10m, 1h)', seconds('--timeout'), 1800)
    .option('--interval <duration>', 'how often --wait looks', seconds('--interval'), 2);

const targetOf = async (o: Opts) => {
  const given = [o.lambda, o.sagemaker, o.target].filter(Boolean).length;
  if (given !== 1)
    throw new UsageError(
      'give one target: --lambda <function:alias>, --sagemaker <endpoint> or --target <json>',
    );
  if (o.target) return jsonArg('--target', o.target);
  if (o.lambda) {
    const at = (o.lambda as string).lastIndexOf(':');
    if (at <= 0) throw new UsageError('--lambda takes <function>:<alias>');
    return { kind: 'lambda', functionName: o.lambda.slice(0, at), alias: o.lambda.slice(at + 1) };
  }
  if (!o.instanceType) throw new UsageError('--sagemaker needs --instance-type (e.g. ml.m5.large)');
  return {
    kind: 'sagemaker',
    endpointName: o.sagemaker,
    instanceType: o.instanceType,
    ...(o.instanceCount ? { instanceCount: o.instanceCount } : {}),
  };
};

const strategyOf = (o: Opts) => {
  if (!o.strategy && o.percent === undefined && o.bake === undefined) return undefined;
  return {
    kind: o.strategy ?? 'all-at-once',
    ...(o.percent === undefined ? {} : { percent: o.percent }),
    ...(o.bake === undefined ? {} : { bakeMinutes: o.bake }),
  };
};

export const workflowCommands = (program: Command, run: Run) => {
  const approvals = program.command('approvals').description('request, show and decide approvals');
  waitFlags(
    approvals
      .command('request <model> <version>')
      .description('ask for a version to be approved for an environment (approvers get an email)')
      .requiredOption('--env <environment>', 'the environment (its policy names the approver groups)')
      .option('--reason <text>', 'why, shown to the approvers'),
  ).action(
    run(async (ctx, model: string, ref: string, o) => {
      const { client, out } = ctx;
      const a = await client.requestApproval(model, await resolveVersion(client, model, ref), {
        environment: o.env,
        ...(o.reason ? { reason: o.reason } : {}),
      });
      if (!o.wait) return out.result(a, () => showApproval(out, a));
      out.note(
        `approval ${a.id}: waiting for ${a.groups.map((g) => `${g.name} (${g.minApprovals})`).join(', ')}`,
      );
      const final = await waitApproval(ctx, a.id, o.timeout, o.interval);
      out.result(final, () => showApproval(out, final));
      if (final.status !== 'APPROVED') throw new OutcomeError(`approval ${final.id} is ${final.status}`);
    }),
  );
  waitFlags(
    approvals.command('show <id>').description('an approval request, its quorum per group and its decisions'),
  ).action(
    run(async (ctx, id: string, o) => {
      const { client, out } = ctx;
      const a = o.wait ? await waitApproval(ctx, id, o.timeout, o.interval) : await client.getApproval(id);
      out.result(a, () => showApproval(out, a));
      if (o.wait && a.status !== 'APPROVED') throw new OutcomeError(`approval ${a.id} is ${a.status}`);
    }),
  );
  approvals
    .command('decide <id> <decision>')
    .description('approve or reject (as an approver of the request, never its registrant)')
    .option('--comment <text>', 'kept with the decision')
    .action(
      run(async ({ client, out }, id: string, decision: string, o) => {
        if (decision !== 'approve' && decision !== 'reject')
          throw new UsageError('<decision> is approve or reject');
        const a = await client.decideApproval(id, decision, o.comment);
        out.result(a, () => showApproval(out, a));
      }),
    );

  waitFlags(
    program
      .command('deploy <model> <version>')
      .description('deploy a version to a Lambda alias or a SageMaker endpoint')
      .requiredOption('--env <environment>', 'the environment (it may demand an approval)')
      .option('--lambda <function:alias>', 'a Lambda alias target')
      .option('--sagemaker <endpoint>', 'a SageMaker real-time endpoint target (name starts with steward-)')
      .option('--instance-type <type>', 'SageMaker instance type, e.g. ml.m5.large')
      .option('--instance-count <n>', 'SageMaker instances', integer('--instance-count'))
      .option('--target <json|@file>', 'any target, as the API takes it (e.g. sagemaker-batch)')
      .option('--strategy <kind>', 'all-at-once, canary or linear')
      .option('--percent <n>', 'canary: first share of traffic; linear: the step', integer('--percent'))
      .option('--bake <minutes>', 'minutes each step is watched for alarms', Number)
      .option('--reason <text>', 'why (kept in the audit trail)'),
  ).action(
    run(async (ctx, model: string, ref: string, o) => {
      const { client, out } = ctx;
      const strategy = strategyOf(o);
      const d = await client.deploy(model, await resolveVersion(client, model, ref), {
        environment: o.env,
        target: (await targetOf(o)) as never,
        ...(strategy ? { strategy: strategy as never } : {}),
        ...(o.reason ? { reason: o.reason } : {}),
      });
      if (!o.wait)
        return out.result(d, () =>
          out.line(`deployment ${out.colors.bold(d.id)} is ${statusColour(out, d.status)}`),
        );
      out.note(`deployment ${d.id}: following its steps`);
      const final = await followDeployment(ctx, d.id, o.timeout, o.interval);
      out.result(final, () =>
        out.line(`deployment ${out.colors.bold(final.id)} ${statusColour(out, final.status)}`),
      );
      if (final.status !== 'SUCCEEDED')
        throw new OutcomeError(
          `deployment ${final.id} ended ${final.status}${final.statusReason ? `: ${final.statusReason}` : ''}`,
        );
    }),
  );

  const deployments = program.command('deployments').description('list and show deployments');
  deployments
    .command('list <model>')
    .option('--env <environment>', 'only this environment')
    .option('--limit <n>', 'at most this many', integer('--limit'))
    .action(
      run(async ({ client, out }, model: string, o) => {
        const page = await client.listDeployments(model, { environment: o.env, limit: o.limit });
        out.result(page, () =>
          out.table(page.items as never, [
            { key: 'id' },
            { key: 'version' },
            { key: 'environment', title: 'ENV' },
            { key: 'target', format: (t) => plain(t) },
            { key: 'status', format: (s) => statusColour(out, String(s)) },
          ]),
        );
      }),
    );
  waitFlags(deployments.command('show <id>').description('a deployment with its history')).action(
    run(async (ctx, id: string, o) => {
      const d = o.wait
        ? await followDeployment(ctx, id, o.timeout, o.interval)
        : await ctx.client.getDeployment(id);
      ctx.out.result(d, () => showDeployment(ctx.out, d));
    }),
  );

  waitFlags(
    program
      .command('rollback <deployment>')
      .description('return the target to what served before this deployment')
      .requiredOption('--reason <text>', 'why (kept in the audit trail)'),
  ).action(
    run(async (ctx, id: string, o) => {
      const { client, out } = ctx;
      const before = (await client.getDeployment(id)).history.length;
      const d = await client.rollback(id, o.reason);
      if (!o.wait) return out.result(d, () => out.line(`rollback of ${id} started`));
      const final = await followDeployment(ctx, id, o.timeout, o.interval, (x) =>
        x.history.slice(before).some((h) => /^(rolled-back|rollback-failed|failed)$/.test(h.step)),
      );
      out.result(final, () => out.line(`deployment ${id} ${statusColour(out, final.status)}`));
    }),
  );
  waitFlags(
    program.command('decommission <deployment>').description('take the endpoint or alias down'),
  ).action(
    run(async (ctx, id: string, o) => {
      const { client, out } = ctx;
      const d = await client.decommission(id);
      if (!o.wait) return out.result(d, () => out.line(`decommission of ${id} started`));
      const final = await followDeployment(
        ctx,
        id,
        o.timeout,
        o.interval,
        (x) => x.status === 'DECOMMISSIONED' || x.history.some((h) => h.step === 'decommission-failed'),
      );
      out.result(final, () => out.line(`deployment ${id} ${statusColour(out, final.status)}`));
    }),
  );
};
