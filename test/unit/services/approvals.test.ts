import { SendTaskSuccessCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ApprovalItem } from '#adapters/approvals-table';
import { keys } from '#adapters/keys';
import { seal } from '#adapters/token-vault';
import { asHttpError, ConflictError, NotFoundError, ValidationError } from '#commons/errors';
import {
  ApprovalAlreadyDecidedError,
  ApprovalClosedError,
  ApprovalExpiredError,
  ApprovalPendingError,
  GroupQuorumReachedError,
  LinkUsedError,
  NotAnApproverError,
  QuorumUnreachableError,
  SelfApprovalError,
  VersionNotReadyError,
} from '#domain/errors';
import { decide, decideByLink, openLink, recordApprovalOutcome, requestApproval } from '#services/approvals';
import {
  approvalItem,
  cancelledAt,
  ddb,
  modelItem,
  refusal,
  resetAws,
  sfn,
  store,
  transactions,
  versionItem,
} from './mocked-aws.ts';

/**
 * Every refusal of the approval use cases, against a mocked DynamoDB and Step Functions: the
 * refusals the service decides from the items it read, and those the adapter names from the
 * cancellation reason of the write whose condition failed.
 */
const TOKEN_KEY = 'ab'.repeat(32);
const REGISTRANT = 'arn:aws:sts::111122223333:assumed-role/ml-engineer/bob';
const ID = `ar-${'0'.repeat(32)}`;

const model = modelItem({ latestVersion: 3, auditSeq: 4 });

/** risk needs one of carol or dave; ops one of carol or erin. The registrant is bob. */
const pending = (overrides: Partial<ApprovalItem> = {}): ApprovalItem =>
  approvalItem({
    id: ID,
    version: 3,
    registrant: REGISTRANT,
    groups: [
      { name: 'risk', minApprovals: 1, members: ['carol', 'dave'], approvals: 0, done: false },
      { name: 'ops', minApprovals: 1, members: ['carol', 'erin'], approvals: 0, done: false },
    ],
    approvers: ['carol', 'dave', 'erin'],
    ...overrides,
  });

const who = (id: string, sessionName?: string) => ({ id, sessionName });

/** The status the request is written with, from the update of the request item. */
const writtenStatus = (items: ReturnType<typeof transactions>[number]) =>
  items.find((w) => String(w.Update?.Key?.pk).startsWith('AR#') && w.Update?.Key?.sk === '#REQUEST')?.Update
    ?.ExpressionAttributeValues?.[':status'];

beforeEach(() => {
  resetAws({
    STEWARD_TOKEN_KEY: TOKEN_KEY,
    APPROVAL_STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:111122223333:stateMachine:approval',
    STEWARD_ENVIRONMENTS: JSON.stringify({
      prod: {
        approval: {
          required: true,
          groups: [
            { name: 'risk', members: ['carol', 'dave'], minApprovals: 1 },
            { name: 'ops', members: ['carol', 'erin'], minApprovals: 1 },
          ],
        },
      },
      regulated: {
        approval: { required: true, groups: [{ name: 'risk', members: ['carol'], minApprovals: 1 }] },
        requireReproducibility: true,
      },
      solo: { approval: { required: true, groups: [{ name: 'self', members: ['bob'], minApprovals: 1 }] } },
    }),
  });
  store(keys.model('churn'), model);
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:execution' });
});

describe('deciding on an approval request', () => {
  it('refuses the registrant, by identity, by role session name and by a member name that is theirs', async () => {
    store(
      keys.approval(ID),
      pending({
        groups: [
          ...pending().groups,
          { name: 'bob-team', minApprovals: 1, members: ['bob'], approvals: 0, done: false },
        ],
      }),
    );

    for (const registrant of [
      who(REGISTRANT, 'bob'),
      who('arn:aws:iam::111122223333:user/x', 'bob'),
      who('bob'),
    ]) {
      const error = await refusal(
        decide({ requestId: ID, who: registrant, decision: 'approve', via: 'api' }),
      );
      expect(error).toBeInstanceOf(SelfApprovalError);
      expect(asHttpError(error)?.statusCode).toBe(403);
    }
    expect(transactions()).toHaveLength(0);
  });

  it('refuses someone in none of the groups', async () => {
    store(keys.approval(ID), pending());

    const error = await refusal(
      decide({ requestId: ID, who: who('mallory'), decision: 'approve', via: 'api' }),
    );

    expect(error).toBeInstanceOf(NotAnApproverError);
    expect(asHttpError(error)?.statusCode).toBe(403);
    expect(transactions()).toHaveLength(0);
  });

  it('refuses a second decision by the same person, read from the request', async () => {
    store(
      keys.approval(ID),
      pending({
        decisions: [
          {
            by: 'dave',
            member: 'dave',
            decision: 'approve',
            at: new Date().toISOString(),
            group: 'risk',
            via: 'api',
          },
        ],
        groups: [
          { name: 'risk', minApprovals: 2, members: ['carol', 'dave'], approvals: 1, done: false },
          { name: 'ops', minApprovals: 1, members: ['carol', 'erin'], approvals: 0, done: false },
        ],
      }),
    );

    const error = await refusal(decide({ requestId: ID, who: who('dave'), decision: 'reject', via: 'api' }));

    expect(error).toBeInstanceOf(ApprovalAlreadyDecidedError);
    expect(asHttpError(error)?.statusCode).toBe(403);
    expect(transactions()).toHaveLength(0);
  });

  it('keeps duties apart: one who approved for one group cannot fill the quorum of another', async () => {
    store(
      keys.approval(ID),
      pending({
        decisions: [
          {
            by: 'carol',
            member: 'carol',
            decision: 'approve',
            at: new Date().toISOString(),
            group: 'risk',
            via: 'api',
          },
        ],
        groups: [
          { name: 'risk', minApprovals: 1, members: ['carol', 'dave'], approvals: 1, done: true },
          { name: 'ops', minApprovals: 1, members: ['carol', 'erin'], approvals: 0, done: false },
        ],
      }),
    );

    const error = await refusal(
      decide({ requestId: ID, who: who('carol'), decision: 'approve', via: 'api' }),
    );
    expect(error).toBeInstanceOf(ApprovalAlreadyDecidedError);
    expect(transactions()).toHaveLength(0);

    // Another member of the open group may: the request is then APPROVED.
    const decided = await decide({ requestId: ID, who: who('erin'), decision: 'approve', via: 'api' });
    expect(decided.id).toBe(ID);
    expect(writtenStatus(transactions()[0]!)).toBe('APPROVED');
  });

  it('refuses an approval in a group whose quorum is reached, but takes a rejection there', async () => {
    store(
      keys.approval(ID),
      pending({
        decisions: [
          {
            by: 'carol',
            member: 'carol',
            decision: 'approve',
            at: new Date().toISOString(),
            group: 'risk',
            via: 'api',
          },
        ],
        groups: [
          { name: 'risk', minApprovals: 1, members: ['carol', 'dave'], approvals: 1, done: true },
          { name: 'ops', minApprovals: 1, members: ['carol', 'erin'], approvals: 0, done: false },
        ],
      }),
    );

    const error = await refusal(decide({ requestId: ID, who: who('dave'), decision: 'approve', via: 'api' }));
    expect(error).toBeInstanceOf(GroupQuorumReachedError);
    expect(error.message).toBe('group risk has its 1 approval(s) already');
    expect(asHttpError(error)?.statusCode).toBe(409);
    expect(transactions()).toHaveLength(0);

    await decide({ requestId: ID, who: who('dave'), decision: 'reject', via: 'api' });
    expect(writtenStatus(transactions()[0]!)).toBe('REJECTED');
  });

  it('refuses a request whose time ran out, recorded or not', async () => {
    for (const request of [
      pending({ expiresAtEpoch: Math.floor(Date.now() / 1000) - 1 }),
      pending({ status: 'EXPIRED' }),
    ]) {
      store(keys.approval(ID), request);
      const error = await refusal(
        decide({ requestId: ID, who: who('carol'), decision: 'approve', via: 'api' }),
      );
      expect(error).toBeInstanceOf(ApprovalExpiredError);
      expect(asHttpError(error)?.statusCode).toBe(410);
    }
    expect(transactions()).toHaveLength(0);
  });

  it('refuses a request that is decided or failed already', async () => {
    for (const status of ['APPROVED', 'REJECTED', 'FAILED'] as const) {
      store(keys.approval(ID), pending({ status }));
      const error = await refusal(
        decide({ requestId: ID, who: who('carol'), decision: 'approve', via: 'api' }),
      );
      expect(error).toBeInstanceOf(ApprovalClosedError);
      expect(error.message).toBe(`approval request ${ID} is ${status} already`);
      expect(asHttpError(error)?.statusCode).toBe(409);
    }
  });

  it('answers 404 for a request that does not exist', async () => {
    const error = await refusal(
      decide({ requestId: ID, who: who('carol'), decision: 'approve', via: 'api' }),
    );
    expect(error).toBeInstanceOf(NotFoundError);
  });

  it('names a decision the write finds already stored from the cancellation reason of that write', async () => {
    store(keys.approval(ID), pending());
    // model, audit event, then the decision item (whose condition is that it does not exist).
    ddb.on(TransactWriteCommand).rejects(cancelledAt(2, { pk: `AR#${ID}`, sk: 'D#carol' }));

    const error = await refusal(
      decide({ requestId: ID, who: who('carol'), decision: 'approve', via: 'api' }),
    );

    expect(error).toBeInstanceOf(ApprovalAlreadyDecidedError);
    const decisionWrite = transactions()[0]![2];
    expect(decisionWrite?.Put?.Item).toMatchObject({ pk: `AR#${ID}`, sk: 'D#carol' });
  });

  it('names a link used meanwhile from the cancellation reason of the link write', async () => {
    store(keys.approval(ID), pending());
    ddb.on(TransactWriteCommand).rejects(cancelledAt(4));

    const error = await refusal(
      decide({
        requestId: ID,
        who: who('carol'),
        decision: 'approve',
        via: 'link',
        link: { hash: 'a'.repeat(64), member: 'carol' },
      }),
    );

    expect(error).toBeInstanceOf(LinkUsedError);
    expect(asHttpError(error)?.statusCode).toBe(404);
  });

  it('reads a request that moved during the write again, and judges it afresh', async () => {
    store(keys.approval(ID), pending());
    // The request's own update failed: someone rejected it meanwhile.
    ddb.on(TransactWriteCommand).callsFakeOnce(() => {
      store(keys.approval(ID), pending({ status: 'REJECTED' }));
      throw cancelledAt(3);
    });

    const error = await refusal(
      decide({ requestId: ID, who: who('carol'), decision: 'approve', via: 'api' }),
    );

    expect(error).toBeInstanceOf(ApprovalClosedError);
    expect(transactions()).toHaveLength(1);
  });

  it('expires the request, not a 500, when the group task is gone as the decision arrives', async () => {
    store(keys.approval(ID), pending({ groups: [pending().groups[0]!] }));
    const sealed = await seal('task-token', { requestId: ID, group: 'risk' });
    ddb.on(UpdateCommand).resolves({ Attributes: { sealed } });
    sfn.on(SendTaskSuccessCommand).rejects(Object.assign(new Error('timed out'), { name: 'TaskTimedOut' }));

    const error = await refusal(decide({ requestId: ID, who: who('dave'), decision: 'approve', via: 'api' }));

    expect(error).toBeInstanceOf(ApprovalExpiredError);
    expect(asHttpError(error)?.statusCode).toBe(410);
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input.taskToken).toBe('task-token');
    // The decision, then the outcome EXPIRED.
    expect(transactions().map(writtenStatus)).toEqual(['APPROVED', 'EXPIRED']);
  });
});

describe('asking for an approval', () => {
  const ready = (extra: Record<string, unknown> = {}) =>
    store(keys.version('churn', 3), { ...versionItem({ version: 3, createdBy: REGISTRANT }), ...extra });
  const ask = (environment: string, body: Record<string, unknown> = {}) =>
    requestApproval({
      model: 'churn',
      version: 3,
      body: { environment, ...body },
      actor: 'alice',
      linkBaseUrl: 'https://steward.example',
    });

  it('stores the request and starts its workflow, named by the request id', async () => {
    ready();

    const item = await ask('prod', { reason: 'better AUC' });

    expect(item).toMatchObject({
      status: 'PENDING',
      approvers: ['carol', 'dave', 'erin'],
      registrant: REGISTRANT,
    });
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toMatchObject({ name: item.id });
    expect(transactions()).toHaveLength(1);
  });

  it('refuses an unknown environment and a deployOnApproval that is no deployment, naming the field', async () => {
    ready();
    const unknown = await refusal(ask('nowhere'));
    expect(unknown).toBeInstanceOf(ValidationError);
    expect((unknown as ValidationError).errors).toEqual([
      { path: 'body.environment', message: 'unknown environment' },
    ]);

    const invalid = await refusal(ask('prod', { deployOnApproval: { target: 42 } }));
    expect(invalid).toBeInstanceOf(ValidationError);
    expect((invalid as ValidationError).errors?.[0]?.path).toMatch(/^body\.deployOnApproval/);

    const elsewhere = await refusal(
      ask('prod', {
        deployOnApproval: {
          environment: 'dev',
          target: { kind: 'lambda', functionName: 'f', alias: 'live' },
        },
      }),
    );
    expect(elsewhere).toBeInstanceOf(ValidationError);
    expect((elsewhere as ValidationError).errors?.[0]?.path).toBe('body.deployOnApproval.environment');
    expect(transactions()).toHaveLength(0);
  });

  it('refuses a missing model or version, and a version that is not READY', async () => {
    expect(await refusal(ask('prod'))).toBeInstanceOf(NotFoundError);
    ready({ status: 'PENDING_UPLOAD' });
    const error = await refusal(ask('prod'));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toBe('version 3 is PENDING_UPLOAD; only a READY version can be approved');
    expect(transactions()).toHaveLength(0);
  });

  it('refuses a version that is not reproducible where the environment requires it, naming what lacks', async () => {
    ready();
    const error = await refusal(ask('regulated'));
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).errors?.map((e) => e.path)).toEqual([
      'version.lineage.code',
      'version.lineage.image',
      'version.lineage.datasets',
      'version.params',
    ]);
  });

  it('refuses a request no quorum can end, the registrant being the only member (segregation of duties)', async () => {
    ready();
    const error = await refusal(ask('solo'));
    expect(error).toBeInstanceOf(QuorumUnreachableError);
    expect(asHttpError(error)?.statusCode).toBe(409);
    expect(transactions()).toHaveLength(0);
  });

  it('names a live request for the same version and environment from the slot write', async () => {
    ready();
    ddb.on(TransactWriteCommand).rejects(cancelledAt(3, { status: 'PENDING' }));
    const error = await refusal(ask('prod'));
    expect(error).toBeInstanceOf(ApprovalPendingError);
    expect(asHttpError(error)?.statusCode).toBe(409);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('names a version that left READY during the write from the version it met', async () => {
    ready();
    ddb.on(TransactWriteCommand).rejects(cancelledAt(4, { status: 'ARCHIVED' }));
    const error = await refusal(ask('prod'));
    expect(error).toBeInstanceOf(VersionNotReadyError);
    expect(error.message).toBe('version 3 of churn stopped being READY (it is ARCHIVED)');
  });

  it('closes the request as EXPIRED, audited, when its workflow cannot start', async () => {
    ready();
    sfn.on(StartExecutionCommand).rejects(new Error('throttled'));
    ddb.on(TransactWriteCommand).callsFake((input) => {
      const request = input.TransactItems.find(
        (w: { Put?: { Item?: { entity?: string } } }) => w.Put?.Item?.entity === 'approval',
      );
      if (request) store(keys.approval(request.Put.Item.id), request.Put.Item);
      return {};
    });

    const error = await refusal(ask('prod'));

    expect(error.message).toBe('throttled');
    expect(transactions().map(writtenStatus)).toEqual([undefined, 'EXPIRED']);
  });
});

describe('recording the outcome', () => {
  it('says what is missing rather than writing, and records once', async () => {
    expect(await recordApprovalOutcome(ID, 'EXPIRED', 'time ran out')).toEqual({
      missing: `approval request ${ID} does not exist`,
    });
    store(keys.approval(ID), pending({ status: 'APPROVED', recordedAt: new Date().toISOString() }));
    expect(await recordApprovalOutcome(ID, 'APPROVED', 'quorum')).toEqual({ status: 'APPROVED' });
    expect(transactions()).toHaveLength(0);
  });

  it('lets EXPIRED and FAILED win over a decision the workflow never recorded', async () => {
    store(keys.approval(ID), pending({ status: 'APPROVED' }));
    expect(await recordApprovalOutcome(ID, 'FAILED', 'the workflow failed')).toEqual({ status: 'FAILED' });
    expect(writtenStatus(transactions()[0]!)).toBe('FAILED');
  });
});

describe('an emailed link', () => {
  it('opens only for a known, unused link of a pending request, and says which state closes it', async () => {
    expect(await openLink(undefined)).toEqual({ open: false, state: { kind: 'unknown' } });
    expect(await openLink('s'.repeat(43))).toEqual({ open: false, state: { kind: 'unknown' } });

    const { createHash } = await import('node:crypto');
    const hash = createHash('sha256').update('s'.repeat(43)).digest('hex');
    const link = { entity: 'link', requestId: ID, member: 'carol', expiresAt: '', expiresAtEpoch: 0, ttl: 0 };
    store(keys.link(hash), link);
    store(keys.approval(ID), pending());
    expect(await openLink('s'.repeat(43))).toMatchObject({ open: true, hash });

    store(keys.approval(ID), pending({ status: 'REJECTED' }));
    expect(await openLink('s'.repeat(43))).toMatchObject({ open: false, state: { kind: 'decided' } });
    store(keys.approval(ID), pending({ expiresAtEpoch: 1 }));
    expect(await openLink('s'.repeat(43))).toMatchObject({ open: false, state: { kind: 'expired' } });
    store(keys.link(hash), { ...link, usedAt: new Date().toISOString() });
    expect(await openLink('s'.repeat(43))).toMatchObject({
      open: false,
      state: { kind: 'used', member: 'carol' },
    });
  });

  it('refuses an approval once the member groups are complete, and shows the state a race left', async () => {
    const { createHash } = await import('node:crypto');
    const hash = createHash('sha256').update('t'.repeat(43)).digest('hex');
    const link = { entity: 'link', requestId: ID, member: 'dave', expiresAt: '', expiresAtEpoch: 0, ttl: 0 };
    store(keys.link(hash), link);
    const complete = pending({
      groups: [{ name: 'risk', minApprovals: 1, members: ['carol', 'dave'], approvals: 1, done: true }],
    });
    store(keys.approval(ID), complete);
    const found = await openLink('t'.repeat(43));
    if (!found.open) throw new Error('the link should be open');
    expect(await decideByLink(found, { decision: 'approve' })).toEqual({ kind: 'group-complete' });

    // A second tab used the link first: the decision write meets a used link.
    store(keys.approval(ID), pending());
    const open = await openLink('t'.repeat(43));
    if (!open.open) throw new Error('the link should be open');
    ddb.on(TransactWriteCommand).callsFakeOnce(() => {
      store(keys.link(hash), { ...link, usedAt: new Date().toISOString() });
      throw cancelledAt(4);
    });
    expect(await decideByLink(open, { decision: 'reject' })).toMatchObject({
      kind: 'closed',
      state: { kind: 'used' },
      statusCode: 404,
    });
  });
});
