import { describe, expect, it } from 'vitest';
import { canMove, sourcesOf, VersionStatus } from '#domain/lifecycle';

describe('version lifecycle', () => {
  it('allows exactly the moves of API.md', () => {
    const allowed = VersionStatus.options.flatMap((from) =>
      VersionStatus.options.filter((to) => canMove(from, to)).map((to) => `${from}->${to}`),
    );
    expect(allowed.sort()).toEqual(
      [
        'PENDING_UPLOAD->READY',
        'PENDING_UPLOAD->FAILED',
        'READY->DEPRECATED',
        'READY->ARCHIVED',
        'DEPRECATED->ARCHIVED',
      ].sort(),
    );
  });

  it('derives the statuses a conditional write may start from', () => {
    expect(sourcesOf('ARCHIVED').sort()).toEqual(['DEPRECATED', 'READY']);
    expect(sourcesOf('READY')).toEqual(['PENDING_UPLOAD']);
    expect(sourcesOf('PENDING_UPLOAD')).toEqual([]);
  });
});
