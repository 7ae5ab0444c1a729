/**
 * MLflow's search grammar and orderings, as the MLflow 2.x client sends them: comparisons joined
 * with AND, each `<field> <op> <value>` where the field is `name`, `run_id`, `version_number`,
 * `source_path` or `tags.<key>` (the key may be quoted with backticks or double quotes), the
 * operator one of `=`, `!=`, `LIKE`, `ILIKE`, `IN`, and the value a quoted string, a number or a
 * parenthesised list for IN. `+` between tokens reads as a space: a query string decoded without
 * form rules keeps the client's `+`.
 */
export type FilterField =
  | { kind: 'attribute'; name: 'name' | 'run_id' | 'version_number' | 'source_path' }
  | { kind: 'tag'; key: string };

export interface Comparison {
  field: FilterField;
  op: '=' | '!=' | 'LIKE' | 'ILIKE' | 'IN';
  value: string | string[];
}

/** A `filter` or `order_by` MLflow's grammar does not accept: the caller gets INVALID_PARAMETER_VALUE. */
export class FilterSyntaxError extends Error {
  override readonly name = 'FilterSyntaxError';
}

type Token = { t: 'word' | 'string' | 'op' | 'lparen' | 'rparen' | 'comma'; v: string };

const tokenize = (input: string): Token[] => {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '+') {
      i++;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      let text = '';
      while (j < input.length && input[j] !== c) text += input[j++];
      if (j >= input.length) throw new FilterSyntaxError(`unterminated ${c} at position ${i}`);
      // A backtick- or double-quoted string right after `tags.` is a key, not a value.
      const last = tokens[tokens.length - 1];
      if ((c === '`' || c === '"') && last?.t === 'word' && last.v.endsWith('.')) last.v += text;
      else tokens.push({ t: 'string', v: text });
      i = j + 1;
      continue;
    }
    if (c === '(') tokens.push({ t: 'lparen', v: c });
    else if (c === ')') tokens.push({ t: 'rparen', v: c });
    else if (c === ',') tokens.push({ t: 'comma', v: c });
    else if (c === '=' || c === '!' || c === '<' || c === '>') {
      const two = input.slice(i, i + 2);
      if (two === '!=' || two === '<=' || two === '>=') {
        tokens.push({ t: 'op', v: two });
        i += 2;
        continue;
      }
      tokens.push({ t: 'op', v: c });
    } else {
      let j = i;
      while (j < input.length && /[A-Za-z0-9_.\-%]/.test(input[j]!)) j++;
      if (j === i) throw new FilterSyntaxError(`unexpected character ${JSON.stringify(c)} at position ${i}`);
      tokens.push({ t: 'word', v: input.slice(i, j) });
      i = j;
      continue;
    }
    i++;
  }
  return tokens;
};

const ATTRIBUTES = new Set(['name', 'run_id', 'version_number', 'source_path']);

const fieldOf = (word: string): FilterField => {
  const lower = word.toLowerCase();
  for (const prefix of ['tags.', 'tag.'])
    if (lower.startsWith(prefix)) {
      const key = word.slice(prefix.length);
      if (!key) throw new FilterSyntaxError('a tag comparison names its key: tags.<key>');
      return { kind: 'tag', key };
    }
  const attribute = lower.replace(/^attributes?\./, '');
  if (ATTRIBUTES.has(attribute)) return { kind: 'attribute', name: attribute as 'name' };
  throw new FilterSyntaxError(
    `unknown field ${word}: Steward searches by name, run_id, version_number, source_path and tags.<key>`,
  );
};

export const parseFilter = (filter: string | undefined): Comparison[] => {
  if (!filter?.trim()) return [];
  const tokens = tokenize(filter);
  const out: Comparison[] = [];
  let i = 0;
  const next = () => tokens[i++];
  while (i < tokens.length) {
    const f = next();
    if (f?.t !== 'word') throw new FilterSyntaxError(`expected a field, found ${f?.v ?? 'the end'}`);
    const field = fieldOf(f.v);
    const o = next();
    const opText = o?.v.toUpperCase();
    if (!o || !(o.t === 'op' || o.t === 'word') || !['=', '!=', 'LIKE', 'ILIKE', 'IN'].includes(opText!))
      throw new FilterSyntaxError(
        `expected =, !=, LIKE, ILIKE or IN after ${f.v}, found ${o?.v ?? 'the end'}`,
      );
    const op = opText as Comparison['op'];
    let value: string | string[];
    if (op === 'IN') {
      if (next()?.t !== 'lparen') throw new FilterSyntaxError('IN takes a parenthesised list');
      value = [];
      for (;;) {
        const v = next();
        if (!v || (v.t !== 'string' && v.t !== 'word')) throw new FilterSyntaxError('IN lists quoted values');
        value.push(v.v);
        const sep = next();
        if (sep?.t === 'rparen') break;
        if (sep?.t !== 'comma') throw new FilterSyntaxError('IN values are separated by commas');
      }
    } else {
      const v = next();
      if (!v) throw new FilterSyntaxError(`${f.v} ${op} needs a value`);
      if (v.t === 'string') value = v.v;
      else if (v.t === 'word' && /^-?\d+$/.test(v.v)) value = v.v;
      else throw new FilterSyntaxError(`the value after ${f.v} ${op} is a quoted string`);
    }
    out.push({ field, op, value });
    const and = tokens[i];
    if (and === undefined) break;
    if (and.t !== 'word' || and.v.toUpperCase() !== 'AND')
      throw new FilterSyntaxError(`comparisons are joined with AND, found ${and.v}`);
    i++;
  }
  return out;
};

/** SQL LIKE: `%` any run, `_` one character. */
const likeToRegExp = (pattern: string, caseInsensitive: boolean): RegExp => {
  const body = [...pattern]
    .map((c) => (c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, caseInsensitive ? 'is' : 's');
};

/** Whether a record passes every comparison; `read` gives a field's value (undefined: absent). */
export const matches = (comparisons: readonly Comparison[], read: (f: FilterField) => string | undefined) =>
  comparisons.every((c) => {
    const actual = read(c.field);
    switch (c.op) {
      case '=':
        return actual !== undefined && actual === c.value;
      case '!=':
        return actual !== undefined && actual !== c.value;
      case 'LIKE':
      case 'ILIKE':
        return actual !== undefined && likeToRegExp(String(c.value), c.op === 'ILIKE').test(actual);
      case 'IN':
        return actual !== undefined && (c.value as string[]).includes(actual);
      default:
        return false;
    }
  });

/** The literal prefix a name comparison pins down, so a search can read one key range. */
export const namePrefix = (comparisons: readonly Comparison[]): string | undefined => {
  for (const c of comparisons) {
    if (c.field.kind !== 'attribute' || c.field.name !== 'name') continue;
    if (c.op === '=') return String(c.value);
    if (c.op === 'LIKE') {
      const literal = /^[^%_]*/.exec(String(c.value))![0];
      if (literal) return literal;
    }
  }
  return undefined;
};

export type OrderKey = 'name' | 'last_updated_timestamp' | 'creation_timestamp' | 'version_number';
export interface Ordering {
  key: OrderKey;
  descending: boolean;
}

const ORDER_KEYS = new Set([
  'name',
  'last_updated_timestamp',
  'creation_timestamp',
  'version_number',
  'timestamp',
]);

export const parseOrderBy = (clauses: readonly string[], allowed: readonly OrderKey[]): Ordering[] =>
  clauses.map((clause) => {
    const parts = clause.replaceAll('+', ' ').trim().split(/\s+/);
    const raw = (parts[0] ?? '').toLowerCase().replace(/^attributes?\./, '');
    const key = (raw === 'timestamp' ? 'creation_timestamp' : raw) as OrderKey;
    const direction = (parts[1] ?? 'ASC').toUpperCase();
    if (
      !ORDER_KEYS.has(raw) ||
      !allowed.includes(key) ||
      parts.length > 2 ||
      !['ASC', 'DESC'].includes(direction)
    )
      throw new FilterSyntaxError(
        `order_by ${JSON.stringify(clause)}: one of ${allowed.join(', ')}, optionally followed by ASC or DESC`,
      );
    return { key, descending: direction === 'DESC' };
  });

/** Compare two records by the orderings, then by the tie-breakers. */
export const comparator =
  <T>(orderings: readonly Ordering[], read: (item: T, key: OrderKey) => string | number) =>
  (a: T, b: T): number => {
    for (const o of orderings) {
      const x = read(a, o.key);
      const y = read(b, o.key);
      if (x === y) continue;
      const less = x < y ? -1 : 1;
      return o.descending ? -less : less;
    }
    return 0;
  };
