import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../eventually.ts';
import { type Api, startApi } from './local-api.ts';
import { createModel, expectProblem, publishVersion, uniqueName } from './registry-fixtures.ts';

/**
 * The approval workflow end to end in local mode: the same ASL on the local Step Functions
 * runner, emails in the outbox, links opened and posted as a browser would.
 */
type Mail = { to: string; subject: string; text: string; links: string[] };
type Approval = {
  id: string;
  status: string;
  decisions: { by: string; decision: string; group: string }[];
  groups: { name: string; approvals: number; done: boolean }[];
  approvers: string[];
  requiredApprovals: number;
  outcomeReason?: string;
};

const PIPELINE = 'ci-pipeline';

describe('approvals', () => {
  let api: Api;
  const logLines: string[] = [];

  /** An environment with the given groups; only admins may set one. */
  const environment = async (
    groups: { name: string; members: string[]; minApprovals: number }[],
    ttlHours = 1,
  ) => {
    const name = uniqueName('env').toLowerCase().slice(0, 32);
    const res = await api.call('PUT', `/v1/environments/${name}`, {
      principal: 'admin',
      body: { approval: { required: true, groups }, approvalTtlHours: ttlHours },
    });
    expect(res.status, res.text).toBe(200);
    return name;
  };

  /** A READY version registered by the pipeline. */
  const version = async () => {
    const model = uniqueName('appr');
    await createModel(api, model, { riskTier: 'medium' }, PIPELINE);
    await publishVersion(api, model, undefined, { metrics: { auc: 0.93, 'recall@10': 0.41 } }, PIPELINE);
    return model;
  };

  const request = async (model: string, env: string, principal = PIPELINE) => {
    const res = await api.call<Approval>('POST', `/v1/models/${model}/versions/1/approvals`, {
      principal,
      body: { environment: env, reason: 'quarterly retrain' },
    });
    expect(res.status, res.text).toBe(202);
    return res.body;
  };

  const get = async (id: string) => (await api.call<Approval>('GET', `/v1/approvals/${id}`)).body;

  /** Poll until the workflow has done its part (bounded; timing is never asserted). */
  const until = <T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> =>
    eventually(
      what,
      async () => {
        const value = await read();
        return done(value) ? value : undefined;
      },
      { tries: 200, intervalMs: 50 },
    );

  const mailsFor = async (model: string) =>
    until(
      async () =>
        ((await api.call<Mail[]>('GET', '/local/outbox')).body ?? []).filter((m) =>
          m.subject.includes(`${model} version`),
        ),
      (mails) => mails.length > 0,
      'the approval emails',
    );

  const linkOf = (mails: Mail[], to: string) => {
    const mail = mails.find((m) => m.to === to);
    expect(mail, `a mail to ${to}`).toBeDefined();
    return mail!.links[0]!;
  };

  const openPage = async (link: string) => {
    const res = await fetch(link);
    const html = await res.text();
    return { res, html, csrf: /name="csrf" value="([^"]+)"/.exec(html)?.[1] };
  };

  const postForm = (link: string, fields: Record<string, string>) =>
    fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
    });

  const decideByLink = async (link: string, decision: 'approve' | 'reject') => {
    const { csrf } = await openPage(link);
    return postForm(link, { csrf: csrf!, decision, comment: `${decision} by link` });
  };

  const decideByApi = (id: string, principal: string, decision: 'approve' | 'reject' = 'approve') =>
    api.call<Approval>('POST', `/v1/approvals/${id}/decisions`, {
      principal,
      body: { decision, comment: 'via API' },
    });

  beforeAll(async () => {
    api = await startApi({ log: (line) => logLines.push(line) });
  });
  afterAll(() => api.close());

  it('runs the whole flow: one email per approver, links decide, all quorums make it APPROVED', async () => {
    const model = await version();
    const env = await environment([
      { name: 'risk', members: ['risk@example.com', 'validator@example.com'], minApprovals: 1 },
      { name: 'tech', members: ['lead@example.com', 'risk@example.com'], minApprovals: 1 },
    ]);
    const created = await request(model, env);
    expect(created).toMatchObject({ status: 'PENDING', requiredApprovals: 2 });
    expect(created.approvers.sort()).toEqual([
      'lead@example.com',
      'risk@example.com',
      'validator@example.com',
    ]);

    const mails = await until(
      () => mailsFor(model),
      (m) => m.length === 3,
      'three emails',
    );
    expect(mails.map((m) => m.to).sort()).toEqual([
      'lead@example.com',
      'risk@example.com',
      'validator@example.com',
    ]);
    for (const mail of mails) {
      expect(mail.links).toHaveLength(1);
      expect(mail.links[0]).toMatch(new RegExp(`^${api.url}/v1/approval-links/[A-Za-z0-9_-]{43}$`));
    }

    const page = await openPage(linkOf(mails, 'risk@example.com'));
    expect(page.res.status).toBe(200);
    expect(page.html).toContain(model);
    expect(page.html).toContain('quarterly retrain');
    expect(page.html).toContain('recall@10');
    // Lineage is drawn on the page: an emailed approver cannot open a signed API request.
    expect(page.html).toContain('id="lineage"');
    expect(page.html).not.toContain('/v1/lineage?');

    expect((await decideByLink(linkOf(mails, 'risk@example.com'), 'approve')).status).toBe(200);
    const halfway = await get(created.id);
    expect(halfway.status).toBe('PENDING');
    expect(halfway.groups.map((g) => g.done)).toEqual([true, false]);

    const last = await decideByLink(linkOf(mails, 'lead@example.com'), 'approve');
    expect(last.status).toBe(200);
    expect(await last.text()).toContain('APPROVED');

    const recorded = await until(
      () => api.call('GET', `/v1/audit?model=${model}&limit=100`),
      (r) => r.body.items.some((e: { action: string }) => e.action === 'approval.approved'),
      'the recorded outcome',
    );
    expect(recorded.body.items.map((e: { action: string }) => e.action).slice(-4)).toEqual([
      'approval.requested',
      'approval.decided',
      'approval.decided',
      'approval.approved',
    ]);
    const final = await get(created.id);
    expect(final.status).toBe('APPROVED');
    expect(final.decisions.map((d) => [d.by, d.group])).toEqual([
      ['risk@example.com', 'risk'],
      ['lead@example.com', 'tech'],
    ]);
    const v = await api.call('GET', `/v1/models/${model}/versions/1`);
    expect(v.body.approvals).toEqual([
      expect.objectContaining({ environment: env, id: created.id, status: 'APPROVED' }),
    ]);
    const events = (await api.call('GET', '/local/events')).body as {
      'detail-type': string;
      detail: { target: string };
    }[];
    expect(
      events.filter((e) => e.detail.target === `approval:${created.id}`).map((e) => e['detail-type']),
    ).toEqual(['approval.requested', 'approval.decided', 'approval.decided', 'approval.approved']);
    const inventory = await api.call('GET', '/v1/inventory');
    expect(inventory.body.items.find((r: { name: string }) => r.name === model).lastApproval).toMatchObject({
      id: created.id,
      status: 'APPROVED',
    });
  });

  it('lets a scanner open a link with HEAD and GET without changing anything', async () => {
    const model = await version();
    const env = await environment([{ name: 'risk', members: ['risk@example.com'], minApprovals: 1 }]);
    const created = await request(model, env);
    const link = linkOf(await mailsFor(model), 'risk@example.com');

    for (let i = 0; i < 3; i++) {
      const head = await fetch(link, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe('');
      const get = await fetch(link, { redirect: 'manual' });
      expect(get.status).toBe(200);
      expect(get.headers.get('cache-control')).toBe('no-store');
      expect(get.headers.get('referrer-policy')).toBe('no-referrer');
      expect(get.headers.get('content-type')).toMatch(/^text\/html/);
      expect(get.headers.get('set-cookie')).toBeNull();
    }

    const after = await get(created.id);
    expect(after.status).toBe('PENDING');
    expect(after.decisions).toEqual([]);
    expect((await decideByLink(link, 'approve')).status).toBe(200);
  });

  it('refuses the registrant, a non-member and a second decision by the same person', async () => {
    const model = await version();
    const env = await environment([
      { name: 'board', members: [PIPELINE, 'a@example.com', 'b@example.com'], minApprovals: 2 },
    ]);
    const created = await request(model, env);
    expect(created.approvers.sort()).toEqual(['a@example.com', 'b@example.com']);
    const mails = await until(
      () => mailsFor(model),
      (m) => m.length === 2,
      'two emails',
    );
    expect(mails.some((m) => m.to === PIPELINE)).toBe(false);

    expectProblem(await decideByApi(created.id, PIPELINE), 403);
    expectProblem(await decideByApi(created.id, 'stranger@example.com'), 403);
    expectProblem(await decideByApi(created.id, 'auditor'), 403);
    expect((await decideByApi(created.id, 'a@example.com')).status).toBe(200);
    expectProblem(await decideByApi(created.id, 'a@example.com'), 403);
    // The same person through their link: still one person, one decision.
    const again = await decideByLink(linkOf(mails, 'a@example.com'), 'reject');
    expect(again.status).toBe(403);
    expect((await get(created.id)).decisions).toHaveLength(1);
  });

  it('lists pending requests as an inbox, each saying whether the caller may decide it', async () => {
    const model = await version();
    const env = await environment([
      { name: 'board', members: [PIPELINE, 'a@example.com', 'b@example.com'], minApprovals: 2 },
    ]);
    const created = await request(model, env);
    type Inbox = { items: (Approval & { id: string; mayDecide: boolean; why?: string })[] };
    const inbox = async (principal: string, mine = false) => {
      const res = await api.call<Inbox>('GET', `/v1/approvals?limit=100${mine ? '&mine=true' : ''}`, {
        principal,
      });
      expect(res.status, res.text).toBe(200);
      return res.body.items.find((a) => a.id === created.id);
    };

    expect(await inbox('a@example.com')).toMatchObject({ status: 'PENDING', model, mayDecide: true });
    expect(await inbox('a@example.com', true)).toMatchObject({ mayDecide: true });
    expect(await inbox(PIPELINE)).toMatchObject({
      mayDecide: false,
      why: 'the person who registered the version cannot decide its approval',
    });
    expect(await inbox(PIPELINE, true)).toBeUndefined();
    expect(await inbox('auditor')).toMatchObject({ mayDecide: false, why: 'this needs the approver role' });
    expect(await inbox('stranger@example.com')).toMatchObject({
      mayDecide: false,
      why: 'not an approver of this request',
    });

    expect((await decideByApi(created.id, 'a@example.com')).status).toBe(200);
    expect(await inbox('a@example.com')).toMatchObject({ mayDecide: false, why: 'decided already' });
    expect(await inbox('b@example.com', true)).toMatchObject({ mayDecide: true });

    // The last approval decides the request, and it leaves the inbox in the same write.
    expect((await decideByApi(created.id, 'b@example.com')).status).toBe(200);
    expect((await get(created.id)).status).toBe('APPROVED');
    expect(await inbox('b@example.com')).toBeUndefined();
    expectProblem(await api.call('GET', '/v1/approvals?mine=yes'), 400);
  });

  it('treats used, tampered and unknown links as unknown, and refuses a missing or wrong CSRF token', async () => {
    const model = await version();
    const env = await environment([
      { name: 'g', members: ['x@example.com', 'y@example.com'], minApprovals: 2 },
    ]);
    const created = await request(model, env);
    const mails = await until(
      () => mailsFor(model),
      (m) => m.length === 2,
      'two emails',
    );
    const link = linkOf(mails, 'x@example.com');
    const other = linkOf(mails, 'y@example.com');
    const { csrf } = await openPage(link);
    const { csrf: otherCsrf } = await openPage(other);

    expect((await postForm(link, { decision: 'approve' })).status).toBe(403);
    expect((await postForm(link, { decision: 'approve', csrf: 'forged' })).status).toBe(403);
    expect((await postForm(link, { decision: 'approve', csrf: otherCsrf! })).status).toBe(403);
    expect((await get(created.id)).decisions).toEqual([]);

    const secret = link.split('/').pop()!;
    const tampered = link.replace(secret, `${secret[0] === 'A' ? 'B' : 'A'}${secret.slice(1)}`);
    expect((await fetch(tampered)).status).toBe(404);
    expect((await fetch(`${api.url}/v1/approval-links/short`)).status).toBe(404);
    expect((await postForm(tampered, { decision: 'approve', csrf: csrf! })).status).toBe(404);

    expect((await postForm(link, { decision: 'approve', csrf: csrf! })).status).toBe(200);
    const replayGet = await fetch(link);
    expect(replayGet.status).toBe(404);
    expect(replayGet.headers.get('content-type')).toMatch(/^text\/html/);
    expect((await postForm(link, { decision: 'approve', csrf: csrf! })).status).toBe(404);
    expect((await get(created.id)).decisions).toHaveLength(1);
  });

  it('expires a request whose time runs out: the link answers 410, a decision 410', async () => {
    const model = await version();
    const env = await environment([{ name: 'g', members: ['late@example.com'], minApprovals: 1 }], 1 / 3600);
    const created = await request(model, env);
    const link = linkOf(await mailsFor(model), 'late@example.com');

    const expired = await until(
      () => get(created.id),
      (a) => a.status === 'EXPIRED',
      'expiry',
    );
    expect(expired.status).toBe('EXPIRED');
    await until(
      () => api.call('GET', `/v1/audit?model=${model}&limit=100`),
      (r) => r.body.items.some((e: { action: string }) => e.action === 'approval.expired'),
      'the expiry in the audit trail',
    );
    expect((await fetch(link)).status).toBe(410);
    expectProblem(await decideByApi(created.id, 'late@example.com'), 410);
    // A new request may follow an expired one. The policy gets an hour first: a request that
    // waits one second may already read EXPIRED when a loaded machine answers it.
    const longer = await api.call('PUT', `/v1/environments/${env}`, {
      principal: 'admin',
      body: {
        approval: { required: true, groups: [{ name: 'g', members: ['late@example.com'], minApprovals: 1 }] },
        approvalTtlHours: 1,
      },
    });
    expect(longer.status, longer.text).toBe(200);
    expect((await request(model, env)).status).toBe('PENDING');
  });

  it('ends the request REJECTED on one rejection, and refuses decisions after that', async () => {
    const model = await version();
    const env = await environment([
      { name: 'risk', members: ['r1@example.com'], minApprovals: 1 },
      { name: 'tech', members: ['t1@example.com', 't2@example.com'], minApprovals: 1 },
    ]);
    const created = await request(model, env);
    const mails = await until(
      () => mailsFor(model),
      (m) => m.length === 3,
      'three emails',
    );

    expect((await decideByApi(created.id, 'r1@example.com')).status).toBe(200);
    const rejected = await decideByLink(linkOf(mails, 't1@example.com'), 'reject');
    expect(rejected.status).toBe(200);
    expect(await rejected.text()).toContain('REJECTED');

    expectProblem(await decideByApi(created.id, 't2@example.com'), 409);
    expect((await fetch(linkOf(mails, 't2@example.com'))).status).toBe(409);
    await until(
      () => api.call('GET', `/v1/audit?model=${model}&limit=100`),
      (r) => r.body.items.some((e: { action: string }) => e.action === 'approval.rejected'),
      'the recorded rejection',
    );
    expect((await get(created.id)).status).toBe('REJECTED');
    // A second request for the same version and environment is allowed after a rejection.
    expect((await request(model, env)).status).toBe('PENDING');
  });

  it('lets exactly one of two racing final approvals win; the other gets 409', async () => {
    const model = await version();
    const env = await environment([
      { name: 'pair', members: ['p1@example.com', 'p2@example.com'], minApprovals: 1 },
    ]);
    const created = await request(model, env);
    await mailsFor(model);

    const results = await Promise.all([
      decideByApi(created.id, 'p1@example.com'),
      decideByApi(created.id, 'p2@example.com'),
    ]);

    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const final = await until(
      () => get(created.id),
      (a) => a.status === 'APPROVED',
      'approval',
    );
    expect(final.decisions).toHaveLength(1);
    expect(final.groups[0]).toMatchObject({ approvals: 1, done: true });
  });

  it('refuses a second live request for the same version and environment, and an unready version', async () => {
    const model = await version();
    const env = await environment([{ name: 'g', members: ['one@example.com'], minApprovals: 1 }]);
    await request(model, env);
    expectProblem(
      await api.call('POST', `/v1/models/${model}/versions/1/approvals`, {
        principal: PIPELINE,
        body: { environment: env },
      }),
      409,
    );
    await api.call('POST', `/v1/models/${model}/versions`, {
      principal: PIPELINE,
      body: { artifact: { sha256: 'a'.repeat(64), sizeBytes: 1 } },
    });
    expectProblem(
      await api.call('POST', `/v1/models/${model}/versions/2/approvals`, {
        principal: PIPELINE,
        body: { environment: env },
      }),
      409,
    );
    expect(
      expectProblem(
        await api.call('POST', `/v1/models/${model}/versions/1/approvals`, {
          principal: PIPELINE,
          body: { environment: 'nowhere' },
        }),
        400,
      ).errors?.[0]?.path,
    ).toBe('body.environment');
    // A group the registrant alone could fill can never reach its quorum.
    const onlySelf = await environment([{ name: 'solo', members: [PIPELINE], minApprovals: 1 }]);
    expectProblem(
      await api.call('POST', `/v1/models/${model}/versions/1/approvals`, {
        principal: PIPELINE,
        body: { environment: onlySelf },
      }),
      409,
    );
  });

  it('expires the request, not a 500, when the workflow task is gone as a decision arrives', async () => {
    const model = await version();
    const env = await environment([{ name: 'g', members: ['gone@example.com'], minApprovals: 1 }]);
    const created = await request(model, env);
    await mailsFor(model);
    const arn = (await api.system.workflows.service.listExecutions('approval')).find(
      (e) => e.name === created.id,
    )!.executionArn;
    await until(
      async () => api.system.workflows.service.pendingTaskTokens(arn).length,
      (n) => n > 0,
      'the waiting task',
    );
    await api.system.workflows.service.stopExecution(arn, { error: 'Drill', cause: 'task gone' });

    const res = await decideByApi(created.id, 'gone@example.com');

    expectProblem(res, 410);
    // The decision took no effect. Whichever records first names the end: the decision that found
    // its task gone (EXPIRED), or reconcile of the stopped execution (FAILED, issue 9). Never the
    // decision's own APPROVED, which nothing would have acted on.
    const settled = await until(
      () => get(created.id),
      (a) => a.outcomeReason !== undefined,
      'the recorded outcome',
    );
    expect(['EXPIRED', 'FAILED']).toContain(settled.status);
  });

  it('records FAILED, fail closed, when the workflow ends before an outcome: links and decisions refused, no deployment', async () => {
    const model = await version();
    const env = await environment([{ name: 'g', members: ['stopped@example.com'], minApprovals: 1 }]);
    const created = await request(model, env);
    const link = linkOf(await mailsFor(model), 'stopped@example.com');
    const arn = (await api.system.workflows.service.listExecutions('approval')).find(
      (e) => e.name === created.id,
    )!.executionArn;
    await until(
      async () => api.system.workflows.service.pendingTaskTokens(arn).length,
      (n) => n > 0,
      'the waiting task',
    );

    // The execution ends without recording anything (an operator's StopExecution, a runtime error).
    await api.system.workflows.service.stopExecution(arn, { error: 'Drill', cause: 'stopped by hand' });
    await api.system.workflows.reconciled();

    const failed = await get(created.id);
    expect(failed.status).toBe('FAILED');
    expect(failed.outcomeReason).toMatch(/ended ABORTED before it recorded an outcome/);
    await until(
      () => api.call('GET', `/v1/audit?model=${model}&limit=100`),
      (r) => r.body.items.some((e: { action: string }) => e.action === 'approval.failed'),
      'the failure in the audit trail',
    );
    // Fail closed: the mailed link and the API no longer decide it, and the version is not approved.
    expect((await decideByLink(link, 'approve')).status).not.toBe(200);
    expect((await decideByApi(created.id, 'stopped@example.com')).status).toBeGreaterThanOrEqual(400);
    expect((await get(created.id)).status).toBe('FAILED');
    const approved = (await api.call('GET', `/v1/models/${model}/versions/1`)).body.approvals as unknown[];
    expect(JSON.stringify(approved)).not.toContain('APPROVED');
  });

  it('ends APPROVED when the deciding API call comes before the workflow has even started waiting', async () => {
    const model = await version();
    const env = await environment([{ name: 'quick', members: ['quick@example.com'], minApprovals: 1 }]);
    const created = await request(model, env);

    expect((await decideByApi(created.id, 'quick@example.com')).status).toBe(200);

    await until(
      () => api.call('GET', `/v1/audit?model=${model}&limit=100`),
      (r) => r.body.items.some((e: { action: string }) => e.action === 'approval.approved'),
      'the recorded approval',
    );
    expect((await get(created.id)).status).toBe('APPROVED');
    const arn = (await api.system.workflows.service.listExecutions('approval')).find(
      (e) => e.name === created.id,
    )!.executionArn;
    expect((await api.system.workflows.service.waitForExecution(arn)).status).toBe('SUCCEEDED');
  });

  it('never writes a link secret or a task token into a log line', async () => {
    const outbox = (await api.call<Mail[]>('GET', '/local/outbox')).body;
    const secrets = outbox.flatMap((m) => m.links.map((l) => l.split('/').pop()!));
    expect(secrets.length).toBeGreaterThan(5);
    const tokens = api.system.workflows.service.pendingTaskTokens();
    const logged = logLines.join('\n');
    expect(logged).toContain('/v1/approval-links/{secret}');
    for (const secret of [...secrets, ...tokens]) expect(logged).not.toContain(secret);
  });
});
