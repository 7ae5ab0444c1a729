import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants } from './invariants.ts';
import { type Api, startApi } from './local-api.ts';
import {
  commit,
  createModel,
  expectProblem,
  publishVersion,
  putArtifact,
  registerVersion,
  uniqueName,
} from './registry-fixtures.ts';

/**
 * Versions registered but never uploaded expire: after PENDING_UPLOAD_TTL_HOURS (one second here)
 * the sweep, which the schedule runs, moves them to FAILED with the reason and audits the move. The
 * sweep runs through `POST /local/uploads/expire` (the timer is off, so nothing runs behind the test).
 */
describe('pending-upload expiry', () => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi({ env: { PENDING_UPLOAD_TTL_HOURS: String(1 / 3600) }, uploadSweepIntervalMs: 0 });
  });
  afterAll(() => api.close());

  it('fails a version left PENDING_UPLOAD past the time, audited, and keeps its number taken', async () => {
    // Prepare: v1 never uploaded, v2 uploaded but never committed, v3 READY.
    const name = uniqueName('expiry');
    await createModel(api, name, {}, 'ci-bot');
    const bytes = new Uint8Array([1, 2, 3, 4]);
    const v1 = await registerVersion(api, name, bytes, {}, 'ci-bot');
    const v2 = await registerVersion(api, name, bytes, {}, 'ci-bot');
    expect((await putArtifact(v2.upload, bytes)).status).toBe(200);
    const v3 = await publishVersion(api, name, undefined, {}, 'ci-bot');
    await sleep(1_200); // past the one-second time-to-live
    const v4 = await registerVersion(api, name, bytes, {}, 'ci-bot'); // registered just now: not yet due

    // Act
    const sweep = await api.call('POST', '/local/uploads/expire');

    // Assess: the two waiting past the time are FAILED with the reason; the others are untouched.
    expect(sweep.status, sweep.text).toBe(200);
    // The READY version left the sweep's index at its commit: it is not even read.
    expect(sweep.body.skipped).toBe(0);
    expect(sweep.body.expired).toEqual(
      expect.arrayContaining([
        { name, version: v1.version },
        { name, version: v2.version },
      ]),
    );
    const read = async (n: number) => (await api.call('GET', `/v1/models/${name}/versions/${n}`)).body;
    for (const n of [v1.version, v2.version]) {
      const v = await read(n);
      expect(v.status).toBe('FAILED');
      expect(v.statusReason).toMatch(/no upload was committed within .* h of the registration/);
    }
    expect((await read(v3.version)).status).toBe('READY');
    expect((await read(v4.version)).status).toBe('PENDING_UPLOAD');

    // A commit that comes too late is refused as a state conflict; the version stays FAILED.
    expectProblem(await commit(api, name, v2.version, undefined, 'ci-bot'), 409);
    expect((await read(v2.version)).status).toBe('FAILED');

    // Audited, by the sweep, once per version, and the chain still verifies.
    const audit = await api.call('GET', `/v1/audit?model=${name}&limit=100`, { principal: 'auditor' });
    const expiries = audit.body.items.filter(
      (e: { action: string }) => e.action === 'version.upload-expired',
    );
    expect(expiries.map((e: { target: string; actor: string }) => [e.target, e.actor]).sort()).toEqual([
      [`version:${name}:${v1.version}`, 'steward:upload-expiry'],
      [`version:${name}:${v2.version}`, 'steward:upload-expiry'],
    ]);
    expect(
      (await api.call('GET', `/v1/audit/verify?model=${name}`, { principal: 'auditor' })).body.valid,
    ).toBe(true);

    // The numbers stay taken: the next registration is 5, and every invariant holds.
    expect((await registerVersion(api, name, bytes, {}, 'ci-bot')).version).toBe(5);
    await checkInvariants(api.call);
  });

  it('expires each version once: a second sweep finds only what became due since', async () => {
    // Prepare
    const name = uniqueName('expiry-again');
    await createModel(api, name);
    const bytes = new Uint8Array([9]);
    const v1 = await registerVersion(api, name, bytes);
    await sleep(1_200);
    const first = await api.call('POST', '/local/uploads/expire');
    expect(first.body.expired).toContainEqual({ name, version: v1.version });

    // Act
    const second = await api.call('POST', '/local/uploads/expire');

    // Assess
    expect(second.body.expired).not.toContainEqual({ name, version: v1.version });
    const audit = await api.call('GET', `/v1/audit?model=${name}&limit=100`, { principal: 'auditor' });
    expect(
      audit.body.items.filter((e: { action: string }) => e.action === 'version.upload-expired'),
    ).toHaveLength(1);
  });
});
