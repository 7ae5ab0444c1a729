import { describe, expect, it } from 'vitest';
import { Drafts } from '../../../console/src/drafts.ts';

describe('the console keeps drafts per principal and subject', () => {
  it('gives a draft back to the one who typed it, for that subject only', () => {
    const drafts = new Drafts();

    drafts.set(Drafts.key('bob', 'a-1'), 'checked the metrics');

    expect(drafts.get(Drafts.key('bob', 'a-1'))).toBe('checked the metrics');
    expect(drafts.get(Drafts.key('carol', 'a-1'))).toBe('');
    expect(drafts.get(Drafts.key('bob', 'a-2'))).toBe('');
  });

  it('forgets a draft set to nothing, and keys cannot collide through a separator', () => {
    const drafts = new Drafts();
    drafts.set(Drafts.key('bob', 'a-1'), 'x');
    drafts.set(Drafts.key('bob', 'a-1'), '');
    drafts.set(Drafts.key('a', 'b","c'), 'y');

    expect(drafts.get(Drafts.key('bob', 'a-1'))).toBe('');
    expect(drafts.get(Drafts.key('a","b', 'c'))).toBe('');
  });
});
