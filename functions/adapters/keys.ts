/**
 * Every key of the one table, built here and nowhere else. Numbers are zero-padded so that the
 * sort key orders them.
 */
export const pad = (n: number, width: number): string => String(n).padStart(width, '0');

export const keys = {
  model: (name: string) => ({ pk: `M#${name}`, sk: '#MODEL' }),
  /** All models, by name, for listing and prefix search. */
  modelIndex: (name: string) => ({ gsi1pk: 'MODELS', gsi1sk: name }),
  version: (name: string, version: number) => ({ pk: `M#${name}`, sk: `V#${pad(version, 10)}` }),
  versionPrefix: 'V#',
  alias: (name: string, alias: string) => ({ pk: `M#${name}`, sk: `A#${alias}` }),
  aliasPrefix: 'A#',
  audit: (name: string, seq: number) => ({ pk: `AUDIT#${name}`, sk: pad(seq, 12) }),
  auditPartition: (name: string) => `AUDIT#${name}`,
  idempotency: (hash: string) => ({ pk: `IDEM#${hash}`, sk: '#IDEM' }),
} as const;

/** Sort keys of a model's partition below this one: the model item and its aliases, in one Query. */
export const MODEL_HEAD_UPPER_BOUND = 'B';
