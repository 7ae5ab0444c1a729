import { describe, expect, it } from 'vitest';
import {
  comparator,
  FilterSyntaxError,
  matches,
  namePrefix,
  parseFilter,
  parseOrderBy,
} from '#domain/mlflow';

/** MLflow's search grammar as the 2.x client sends it (filter strings from its docs and tests). */
describe('parseFilter', () => {
  it('reads comparisons joined with AND, in any case, with quoted tag keys', () => {
    const parsed = parseFilter(
      "name = 'churn' and tags.`my key` != \"v\" AND run_id IN ('a', 'b') AND tags.team LIKE 'ri%'",
    );

    expect(parsed).toEqual([
      { field: { kind: 'attribute', name: 'name' }, op: '=', value: 'churn' },
      { field: { kind: 'tag', key: 'my key' }, op: '!=', value: 'v' },
      { field: { kind: 'attribute', name: 'run_id' }, op: 'IN', value: ['a', 'b'] },
      { field: { kind: 'tag', key: 'team' }, op: 'LIKE', value: 'ri%' },
    ]);
  });

  it('reads a literal + between tokens as a space, and keeps + inside a quoted value', () => {
    expect(parseFilter("name+=+'a+b'+AND+version_number+=+3")).toEqual([
      { field: { kind: 'attribute', name: 'name' }, op: '=', value: 'a+b' },
      { field: { kind: 'attribute', name: 'version_number' }, op: '=', value: '3' },
    ]);
  });

  it.each([
    ["name ~ 'x'", /unexpected character/],
    ["name = 'x", /unterminated/],
    ["owner = 'x'", /unknown field owner/],
    ["name = 'x' OR name = 'y'", /joined with AND/],
    ['name = x', /quoted string/],
    ["run_id IN 'a'", /parenthesised/],
  ])('refuses %s, saying why', (filter, why) => {
    expect(() => parseFilter(filter)).toThrow(FilterSyntaxError);
    expect(() => parseFilter(filter)).toThrow(why);
  });
});

describe('matches', () => {
  const read =
    (tags: Record<string, string>, name: string) => (f: ReturnType<typeof parseFilter>[number]['field']) =>
      f.kind === 'tag' ? tags[f.key] : f.name === 'name' ? name : undefined;

  it('applies LIKE (case-sensitive) and ILIKE with % and _', () => {
    expect(matches(parseFilter("name LIKE 'Ch%'"), read({}, 'Churn'))).toBe(true);
    expect(matches(parseFilter("name LIKE 'ch%'"), read({}, 'Churn'))).toBe(false);
    expect(matches(parseFilter("name ILIKE 'ch_rn'"), read({}, 'Churn'))).toBe(true);
    expect(matches(parseFilter("name LIKE 'a.c'"), read({}, 'abc'))).toBe(false);
  });

  it('never matches an absent tag, not even with !=', () => {
    expect(matches(parseFilter("tags.k != 'v'"), read({}, 'm'))).toBe(false);
    expect(matches(parseFilter("tags.k != 'v'"), read({ k: 'w' }, 'm'))).toBe(true);
  });

  it('gives the literal name prefix a search can read as one key range', () => {
    expect(namePrefix(parseFilter("name LIKE 'churn-%'"))).toBe('churn-');
    expect(namePrefix(parseFilter("name = 'churn'"))).toBe('churn');
    expect(namePrefix(parseFilter("name LIKE '%churn'"))).toBeUndefined();
    expect(namePrefix(parseFilter("name ILIKE 'churn%'"))).toBeUndefined();
  });
});

describe('parseOrderBy', () => {
  it('reads each clause with an optional direction, + as a space', () => {
    expect(
      parseOrderBy(
        ['name DESC', 'last_updated_timestamp', 'version_number+ASC'],
        ['name', 'last_updated_timestamp', 'version_number'],
      ),
    ).toEqual([
      { key: 'name', descending: true },
      { key: 'last_updated_timestamp', descending: false },
      { key: 'version_number', descending: false },
    ]);
  });

  it('refuses keys the search does not order by, and unknown directions', () => {
    expect(() => parseOrderBy(['version_number DESC'], ['name'])).toThrow(FilterSyntaxError);
    expect(() => parseOrderBy(['name UP'], ['name'])).toThrow(FilterSyntaxError);
  });

  it('sorts by the clauses in order', () => {
    const items = [
      { n: 'b', t: 1 },
      { n: 'a', t: 2 },
      { n: 'a', t: 1 },
    ];
    const sorted = [...items].sort(
      comparator(
        parseOrderBy(['name ASC', 'creation_timestamp DESC'], ['name', 'creation_timestamp']),
        (i, k) => (k === 'name' ? i.n : i.t),
      ),
    );
    expect(sorted).toEqual([
      { n: 'a', t: 2 },
      { n: 'a', t: 1 },
      { n: 'b', t: 1 },
    ]);
  });
});
