import * as z from 'zod';
import type { EnvironmentPolicy } from './environment.ts';
import { Cursor, doc, EnvironmentName, Limit, Text } from './names.ts';
import { schema } from './schema.ts';

/**
 * Approvals: one request per (version, environment). Each approver group of the environment's
 * policy must reach its quorum; any rejection ends the request; so does the time limit. The
 * person who registered the version never decides, and one person decides once.
 */
/** FAILED: the approval workflow itself could not run to an outcome (never a decision or a timeout). */
export const ApprovalStatus = /* @__PURE__ */ schema(() =>
  z
    .enum(['PENDING', 'APPROVED', 'REJECTED', 'EXPIRED', 'FAILED'])
    .meta(
      doc(
        'PENDING until every group reaches its quorum (APPROVED), someone rejects (REJECTED) or the time limit passes (EXPIRED); FAILED when the approval workflow itself could not finish.',
        'PENDING',
      ),
    ),
);
export type ApprovalStatus = z.infer<typeof ApprovalStatus>;

export const Decision = /* @__PURE__ */ schema(() =>
  z
    .enum(['approve', 'reject'])
    .meta(doc('approve counts toward your group quorum; reject ends the request at once.', 'approve')),
);
export type Decision = z.infer<typeof Decision>;

const Comment = /* @__PURE__ */ schema(() =>
  Text(2000).meta(
    doc('Why, in a few words (kept with the decision and audited).', 'Validation report VR-114 reviewed'),
  ),
);

export const DecisionBody = /* @__PURE__ */ schema(() =>
  z.strictObject({ decision: Decision, comment: Comment.optional() }).meta({
    id: 'Decision',
    description:
      'One approver decision. The caller must be a member of one of the groups, must not be the registrant of the version, and decides once.',
  }),
);

/** The form an approver posts from the decision page. */
export const DecisionForm = /* @__PURE__ */ schema(() =>
  z.strictObject({
    decision: Decision,
    comment: Comment.optional(),
    csrf: z
      .string()
      .min(1)
      .max(256)
      .meta(doc('The anti-forgery token from the hidden field of the page the link showed.')),
  }),
);

export const ApprovalPath = /* @__PURE__ */ schema(() =>
  z.strictObject({
    id: z
      .string()
      .regex(/^ar-[0-9a-f]{32}$/, 'an approval request id')
      .meta(
        doc('The approval request id, as the request answered it.', 'ar-0123456789abcdef0123456789abcdef'),
      ),
  }),
);

/** A link secret: 256 random bits, base64url. */
export const LinkPath = /* @__PURE__ */ schema(() =>
  z.strictObject({
    secret: z
      .string()
      .regex(/^[A-Za-z0-9_-]{43}$/, 'not a link secret')
      .meta(
        doc(
          'The secret of an emailed approval link (256 random bits, base64url): it names one approver and one request, and works once.',
        ),
      ),
  }),
);

export const GroupState = /* @__PURE__ */ schema(() =>
  z.object({
    name: z.string(),
    minApprovals: z.number().int(),
    members: z.array(z.string()),
    approvals: z.number().int(),
    done: z.boolean(),
  }),
);
export type GroupState = z.infer<typeof GroupState>;

/** A principal is one of `members` when it equals a member, or its role session name does. */
export interface Who {
  id: string;
  sessionName: string | undefined;
}

export const isMember = (who: Who, member: string): boolean =>
  member === who.id || (who.sessionName !== undefined && member === who.sessionName);

/** The groups of the policy as the request tracks them. */
export const initialGroups = (policy: EnvironmentPolicy): GroupState[] =>
  policy.approval.groups.map((g) => ({
    name: g.name,
    minApprovals: g.minApprovals,
    members: g.members,
    approvals: 0,
    done: false,
  }));

/**
 * Who gets a link: every member of every group but the registrant, each once. A group whose
 * quorum the remaining members cannot reach makes the request impossible, and that is said.
 */
export const approversOf = (
  groups: GroupState[],
  registrant: Who,
): { approvers: { member: string; groups: string[] }[]; unreachable: string[] } => {
  const byMember = new Map<string, string[]>();
  const unreachable: string[] = [];
  for (const group of groups) {
    const eligible = group.members.filter((m) => !isMember(registrant, m));
    if (eligible.length < group.minApprovals) unreachable.push(group.name);
    for (const member of eligible) byMember.set(member, [...(byMember.get(member) ?? []), group.name]);
  }
  return { approvers: [...byMember].map(([member, g]) => ({ member, groups: g })), unreachable };
};

/**
 * The group one person's approval counts for: the first group, in policy order, that they belong
 * to and whose quorum is still open. One person never fills two groups' quorums, so two groups
 * always mean two different people (segregation of duties).
 */
export const groupForDecision = (groups: GroupState[], who: Who): GroupState | undefined =>
  groups.find((g) => !g.done && g.members.some((m) => isMember(who, m))) ??
  groups.find((g) => g.members.some((m) => isMember(who, m)));

/** A member's own group is complete when every group they belong to has its quorum. */
export const groupComplete = (
  groups: readonly Pick<GroupState, 'members' | 'done'>[],
  member: string,
): boolean => {
  const mine = groups.filter((g) => g.members.includes(member));
  return mine.length > 0 && mine.every((g) => g.done);
};

export const belongsToAny = (groups: GroupState[], who: Who): boolean =>
  groups.some((g) => g.members.some((m) => isMember(who, m)));

/** A request whose time ran out reads EXPIRED even before the workflow records it. */
export const isExpired = (
  request: { status: string; expiresAtEpoch: number },
  now = Math.floor(Date.now() / 1000),
): boolean => request.status === 'EXPIRED' || (request.status === 'PENDING' && request.expiresAtEpoch <= now);

/** The group member a principal is on a request, if any. */
export const memberOf = (groups: GroupState[], who: Who): string | undefined =>
  groups.flatMap((g) => g.members).find((m) => isMember(who, m));

/**
 * Why `who`, as group member `member`, may not decide: the registrant never decides (nor does a
 * member name that is theirs), only a member decides, and one person decides once (so one person
 * never fills two groups' quorums: segregation of duties).
 */
export const disqualification = (
  request: { decisions: readonly { by: string; member?: string }[] },
  who: Who,
  registrant: Who,
  member: string | undefined,
): 'registrant' | 'not-an-approver' | 'decided-already' | undefined => {
  if (
    who.id === registrant.id ||
    (who.sessionName !== undefined && who.sessionName === registrant.sessionName) ||
    (member !== undefined && isMember(registrant, member))
  )
    return 'registrant';
  if (member === undefined) return 'not-an-approver';
  if (request.decisions.some((d) => d.member === member || d.by === who.id)) return 'decided-already';
  return undefined;
};

const WHY = {
  registrant: 'the person who registered the version cannot decide its approval',
  'not-an-approver': 'not an approver of this request',
  'decided-already': 'decided already',
} as const;

/**
 * Whether `who` may decide a pending request now, and if not, why: the rules the decision itself
 * enforces, read ahead so an inbox lists what its reader may act on. The decision still checks.
 */
export const decidability = (
  request: {
    status: string;
    groups: GroupState[];
    decisions: readonly { by: string; member?: string }[];
  },
  who: Who,
  registrant: Who,
): { mayDecide: true } | { mayDecide: false; why: string } => {
  if (request.status !== 'PENDING') return { mayDecide: false, why: `the request is ${request.status}` };
  const refused = disqualification(request, who, registrant, memberOf(request.groups, who));
  return refused ? { mayDecide: false, why: WHY[refused] } : { mayDecide: true };
};

export const ListApprovalsQuery = /* @__PURE__ */ schema(() =>
  z.strictObject({
    mine: z
      .enum(['true', 'false'])
      .optional()
      .meta(doc('true: only the requests the caller may decide now.', 'true')),
    limit: Limit,
    cursor: Cursor.optional(),
  }),
);

export const RequestApprovalBody = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      environment: EnvironmentName,
      reason: Text(2000)
        .optional()
        .meta(
          doc(
            'Why this version should go to the environment; shown to the approvers.',
            'Beats v2 on AUC by 0.03',
          ),
        ),
      /** A deployment to start once the request is APPROVED (the deployment body). */
      deployOnApproval: z
        .record(z.string(), z.unknown())
        .optional()
        .meta(
          doc(
            'A deployment body (as for POST .../deployments, without `environment`) to start by itself once the request is APPROVED.',
            { target: { kind: 'lambda', functionName: 'churn-scorer', alias: 'live' } },
          ),
        ),
    })
    .meta({
      id: 'RequestApproval',
      description:
        "Ask the environment's approver groups to approve a READY version. Each group member (but the registrant) gets an emailed link.",
    }),
);

export const ApprovalRequestOut = /* @__PURE__ */ schema(() =>
  z
    .object({
      id: z.string().meta(doc('The approval request id.', 'ar-0123456789abcdef0123456789abcdef')),
      model: z.string().meta(doc('The model name.', 'churn-scorer')),
      version: z.number().int().meta(doc('The version to approve.', 3)),
      environment: z.string().meta(doc('The environment the approval is for.', 'prod')),
      status: ApprovalStatus,
      reason: z.string().optional().meta(doc('Why the requester asks.')),
      requestedBy: z.string().meta(doc('Who asked.')),
      requestedAt: z.iso.datetime().meta(doc('When it was asked.')),
      expiresAt: z.iso
        .datetime()
        .meta(doc('When a PENDING request turns EXPIRED (the policy `approvalTtlHours`).')),
      requiredApprovals: z
        .number()
        .int()
        .meta(doc('The approvals needed in all: the sum of the group quorums.', 2)),
      groups: z
        .array(
          z.object({
            name: z.string().meta(doc('The group name from the environment policy.', 'risk')),
            minApprovals: z.number().int().meta(doc('Its quorum.', 1)),
            approvals: z.number().int().meta(doc('The approvals it has so far.', 0)),
            done: z.boolean().meta(doc('Whether its quorum is reached.')),
          }),
        )
        .meta(doc('Each approver group and how far its quorum has filled.')),
      approvers: z.array(z.string()).meta(doc('Who was asked (every group member but the registrant).')),
      decisions: z
        .array(
          z.object({
            by: z.string().meta(doc('Who decided.')),
            decision: Decision,
            comment: z.string().optional().meta(doc('What they wrote.')),
            at: z.iso.datetime().meta(doc('When.')),
            group: z.string().meta(doc('The group the decision counted for.')),
          }),
        )
        .meta(doc('The decisions so far, oldest first.')),
      decidedAt: z.iso.datetime().optional().meta(doc('When the request left PENDING.')),
      outcomeReason: z
        .string()
        .optional()
        .meta(
          doc(
            'Why the request ended as it did, as the approval workflow recorded it (with the error where it FAILED).',
            'every approver group reached its quorum',
          ),
        ),
      deployOnApproval: z
        .record(z.string(), z.unknown())
        .optional()
        .meta(doc('The deployment body to start once APPROVED, as it was asked for.')),
      deploymentId: z
        .string()
        .optional()
        .meta(doc('The deployment `deployOnApproval` started once the request was APPROVED.')),
      deploymentError: z
        .string()
        .optional()
        .meta(doc('Why the deployment `deployOnApproval` asked for could not start.')),
    })
    .meta({
      id: 'ApprovalRequest',
      description: 'An approval request: one version, one environment, each group quorum and the decisions.',
    }),
);
