import { expect } from 'vitest';
import type { ApiResponse } from './local-api.ts';

/**
 * What must hold after any amount of hostile input, injected faults or a crash: every audit chain
 * verifies, version numbers run 1..n, and no version is half-written (each has its registration
 * event and a known status). Read through the API, as an auditor would.
 */
type Call = (method: string, path: string, options?: { principal?: string }) => Promise<ApiResponse>;

const STATUSES = new Set(['PENDING_UPLOAD', 'READY', 'FAILED', 'DEPRECATED', 'ARCHIVED']);

const all = async (call: Call, path: string): Promise<Record<string, any>[]> => {
  const items: Record<string, any>[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const sep = path.includes('?') ? '&' : '?';
    const res = await call(
      'GET',
      `${path}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      {
        principal: 'auditor',
      },
    );
    expect(res.status, `${path}: ${res.text}`).toBe(200);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
    if (!cursor) return items;
  }
  throw new Error(`${path} never ended`);
};

export interface InvariantReport {
  models: number;
  versions: number;
  chains: number;
}

/** Every model, and every audit chain there is: the system's, the attempts', and two per model. */
const auditChains = async (call: Call, extraChains: string[]) => {
  const models = await all(call, '/v1/models');
  const chains = new Set<string>(['_system', '_attempts', ...extraChains]);
  for (const model of models) chains.add(model.name).add(`_attempts:${model.name}`);
  return { models, chains };
};

export const checkInvariants = async (call: Call, extraChains: string[] = []): Promise<InvariantReport> => {
  const { models, chains } = await auditChains(call, extraChains);
  let versions = 0;
  for (const model of models) {
    const listed = await all(call, `/v1/models/${encodeURIComponent(model.name)}/versions`);
    const numbers = listed.map((v) => v.version as number).sort((a, b) => a - b);
    expect(numbers, `version numbers of ${model.name}`).toEqual(
      Array.from({ length: model.latestVersion }, (_, i) => i + 1),
    );
    for (const v of listed)
      expect(STATUSES.has(v.status), `${model.name} v${v.version} ${v.status}`).toBe(true);
    const events = await all(call, `/v1/audit?model=${encodeURIComponent(model.name)}`);
    const registered = new Set(
      events
        .filter((e) => e.action === 'version.registered')
        .map((e) => Number(String(e.target).split(':').at(-1))),
    );
    for (const n of numbers)
      expect(registered.has(n), `registration event of ${model.name} v${n}`).toBe(true);
    expect(registered.size, `events of versions that do not exist in ${model.name}`).toBe(numbers.length);
    versions += numbers.length;
  }
  for (const chain of chains) {
    const verified = await call('GET', `/v1/audit/verify?model=${encodeURIComponent(chain)}`, {
      principal: 'auditor',
    });
    expect(verified.status, verified.text).toBe(200);
    expect(verified.body.valid, `${chain}: ${JSON.stringify(verified.body)}`).toBe(true);
  }
  return { models: models.length, versions, chains: chains.size };
};

/**
 * The transactional outbox, as `GET /local/events` shows it: every audit item of every chain has
 * exactly one domain event, with its action, target, actor, time and hash, and no event lacks its
 * audit item. The audit is read before the events and again after, so workflows still writing
 * meanwhile do not count as a mismatch. Returns how many audit items it matched.
 */
export const checkEventsMatchAudit = async (call: Call, extraChains: string[] = []): Promise<number> => {
  const { chains } = await auditChains(call, extraChains);
  const audit = async () => {
    const items: Record<string, unknown>[] = [];
    for (const chain of chains)
      for (const item of await all(call, `/v1/audit?model=${encodeURIComponent(chain)}`))
        items.push({ ...item, chain });
    return items;
  };
  const before = await audit();
  const res = await call('GET', '/local/events');
  expect(res.status, res.text).toBe(200);
  const events = (res.body as { detail: Record<string, string> }[]).map((e) => e.detail);
  const after = new Set((await audit()).map((item) => `${item.chain}#${item.seq}`));
  const keys = events.map((d) => `${d.model}#${d.seq}`);
  expect(keys.length - new Set(keys).size, 'domain events delivered twice').toBe(0);
  for (const item of before) {
    const event = events.find((d) => d.model === item.chain && d.seq === String(item.seq));
    expect(event, `the domain event of ${item.chain} #${item.seq}`).toEqual({
      model: item.chain,
      seq: String(item.seq),
      action: item.action,
      target: item.target,
      actor: item.actor,
      at: item.at,
      hash: item.hash,
    });
  }
  expect(
    keys.filter((key) => !after.has(key)),
    'domain events of no audit item',
  ).toEqual([]);
  return before.length;
};
