import * as z from 'zod';
import type { EnvironmentPolicy } from './environment.ts';
import { EnvironmentName, Text } from './names.ts';

/**
 * Approvals: one request per (version, environment). Each approver group of the environment's
 * policy must reach its quorum; any rejection ends the request; so does the time limit. The
 * person who registered the version never decides, and one person decides once.
 */
/** FAILED: the approval workflow itself could not run to an outcome (never a decision or a timeout). */
export const ApprovalStatus = z.enum(['PENDING', 'APPROVED', 'REJECTED', 'EXPIRED', 'FAILED']);
export type ApprovalStatus = z.infer<typeof ApprovalStatus>;

export const Decision = z.enum(['approve', 'reject']);
export type Decision = z.infer<typeof Decision>;

export const DecisionBody = z
  .strictObject({ decision: Decision, comment: Text(2000).optional() })
  .meta({ id: 'Decision' });

/** The form an approver posts from the decision page. */
export const DecisionForm = z.strictObject({
  decision: Decision,
  comment: Text(2000).optional(),
  csrf: z.string().min(1).max(256),
});

export const ApprovalPath = z.strictObject({
  id: z.string().regex(/^ar-[0-9a-f]{32}$/, 'an approval request id'),
});

/** A link secret: 256 random bits, base64url. */
export const LinkPath = z.strictObject({
  secret: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'not a link secret'),
});

export const GroupState = z.object({
  name: z.string(),
  minApprovals: z.number().int(),
  members: z.array(z.string()),
  approvals: z.number().int(),
  done: z.boolean(),
});
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

export const belongsToAny = (groups: GroupState[], who: Who): boolean =>
  groups.some((g) => g.members.some((m) => isMember(who, m)));

export const RequestApprovalBody = z
  .strictObject({
    environment: EnvironmentName,
    reason: Text(2000).optional(),
    /** A deployment to start once the request is APPROVED (the deployment body). */
    deployOnApproval: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'RequestApproval' });

export const ApprovalRequestOut = z
  .object({
    id: z.string(),
    model: z.string(),
    version: z.number().int(),
    environment: z.string(),
    status: ApprovalStatus,
    reason: z.string().optional(),
    requestedBy: z.string(),
    requestedAt: z.string(),
    expiresAt: z.string(),
    requiredApprovals: z.number().int(),
    groups: z.array(
      z.object({
        name: z.string(),
        minApprovals: z.number().int(),
        approvals: z.number().int(),
        done: z.boolean(),
      }),
    ),
    approvers: z.array(z.string()),
    decisions: z.array(
      z.object({
        by: z.string(),
        decision: Decision,
        comment: z.string().optional(),
        at: z.string(),
        group: z.string(),
      }),
    ),
    decidedAt: z.string().optional(),
  })
  .meta({ id: 'ApprovalRequest' });
