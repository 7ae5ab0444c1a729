import { describe, expect, it } from 'vitest';
import { decidability, type GroupState } from '#domain/approval';

/** Who may decide a pending request, as the inbox says it ahead of the decision's own checks. */
const groups = (done = false): GroupState[] => [
  { name: 'risk', minApprovals: 1, members: ['bob', 'carol', 'alice'], approvals: done ? 1 : 0, done },
];
const registrant = { id: 'alice', sessionName: undefined };

describe('decidability', () => {
  it('lets a member who has not decided decide a pending request', () => {
    expect(
      decidability(
        { status: 'PENDING', groups: groups(), decisions: [] },
        { id: 'bob', sessionName: undefined },
        registrant,
      ),
    ).toEqual({
      mayDecide: true,
    });
  });

  it('refuses the registrant, by id, by session name, and as a member of a group', () => {
    const request = { status: 'PENDING', groups: groups(), decisions: [] };
    expect(decidability(request, { id: 'alice', sessionName: undefined }, registrant)).toMatchObject({
      mayDecide: false,
      why: expect.stringContaining('registered'),
    });
    const arn = 'arn:aws:sts::123456789012:assumed-role/Dev/alice';
    expect(
      decidability(
        request,
        { id: arn, sessionName: 'alice' },
        { id: 'arn:aws:sts::123456789012:assumed-role/Other/alice', sessionName: 'alice' },
      ),
    ).toMatchObject({ mayDecide: false, why: expect.stringContaining('registered') });
  });

  it('refuses a non-member, a second decision, and a request that is no longer pending', () => {
    expect(
      decidability(
        { status: 'PENDING', groups: groups(), decisions: [] },
        { id: 'dave', sessionName: undefined },
        registrant,
      ),
    ).toEqual({
      mayDecide: false,
      why: 'not an approver of this request',
    });
    expect(
      decidability(
        { status: 'PENDING', groups: groups(), decisions: [{ by: 'bob', member: 'bob' }] },
        { id: 'bob', sessionName: undefined },
        registrant,
      ),
    ).toEqual({ mayDecide: false, why: 'decided already' });
    expect(
      decidability(
        { status: 'APPROVED', groups: groups(true), decisions: [] },
        { id: 'carol', sessionName: undefined },
        registrant,
      ),
    ).toEqual({
      mayDecide: false,
      why: 'the request is APPROVED',
    });
  });
});
