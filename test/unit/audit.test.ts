import { describe, expect, it } from 'vitest';
import { type AuditEvent, canonicalJson, chainEvent, GENESIS_HASH, verifyChain } from '#domain/audit';

const chain = (n: number): AuditEvent[] => {
  const events: AuditEvent[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const event = chainEvent({
      model: 'm',
      seq,
      at: `2026-01-01T00:00:${String(seq).padStart(2, '0')}Z`,
      actor: 'alice',
      action: 'version.registered',
      target: `version:m:${seq}`,
      after: { version: seq, tags: { b: '1', a: '2' } },
      prevHash,
    });
    events.push(event);
    prevHash = event.hash;
  }
  return events;
};

describe('canonical JSON', () => {
  it('sorts keys at every depth and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } })).toBe(
      '{"a":{"d":[1,{"x":1,"y":2}]},"b":1}',
    );
  });
});

describe('audit chain', () => {
  it('verifies an untouched chain', () => {
    expect(verifyChain(chain(5))).toEqual({ valid: true, events: 5 });
  });

  it('names the first event whose content changed', () => {
    const events = chain(5);
    events[2] = { ...events[2]!, actor: 'mallory' };
    expect(verifyChain(events)).toMatchObject({ valid: false, brokenAt: 3, reason: 'hash does not match' });
  });

  it('names the event after a removed one', () => {
    const events = chain(5);
    events.splice(1, 1);
    expect(verifyChain(events)).toMatchObject({ valid: false, brokenAt: 3, reason: 'sequence gap' });
  });

  it('detects a rewritten event with a recomputed hash through the next link', () => {
    const events = chain(4);
    const { hash: _old, ...body } = events[1]!;
    events[1] = chainEvent({ ...body, actor: 'mallory' });
    expect(verifyChain(events)).toMatchObject({
      valid: false,
      brokenAt: 3,
      reason: 'previous hash does not match',
    });
  });
});
