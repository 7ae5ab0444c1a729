import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { localApiPerFile } from './registry-api.ts';
import {
  commit,
  createModel,
  eventsOf,
  putArtifact,
  registerVersion,
  uniqueName,
} from './registry-fixtures.ts';

/** The domain events of the registry's mutations, through the local HTTP adapter. */
const api = localApiPerFile();

describe('domain events', () => {
  it('emits one event per mutation, with its detail-type and target', async () => {
    // Prepare
    const name = uniqueName('events');
    const bytes = randomBytes(64);

    // Act
    await createModel(api, name);
    await api.call('PATCH', `/v1/models/${name}`, { body: { description: 'd' } });
    const registered = await registerVersion(api, name, bytes);
    await putArtifact(registered.upload, bytes);
    await commit(api, name, 1);
    await api.call('PATCH', `/v1/models/${name}/versions/1`, { body: { description: 'v' } });
    await api.call('PUT', `/v1/models/${name}/aliases/champion`, { body: { version: 1 } });
    await api.call('DELETE', `/v1/models/${name}/aliases/champion`);
    await api.call('POST', `/v1/models/${name}/versions/1/transitions`, {
      body: { to: 'DEPRECATED', reason: 'old' },
    });
    const bad = await registerVersion(api, name, bytes);
    await putArtifact(bad.upload, randomBytes(64));
    await commit(api, name, 2);
    // Refusals change nothing and so emit nothing.
    await api.call('POST', `/v1/models/${name}/versions/1/transitions`, {
      body: { to: 'DEPRECATED', reason: 'x' },
    });
    await api.call('PATCH', `/v1/models/${name}`, { principal: 'mallory', body: { description: 'm' } });

    // Assess
    const events = await eventsOf(api, name);
    expect(events.map((e) => [e['detail-type'], e.detail.target])).toEqual([
      ['model.created', `model:${name}`],
      ['model.updated', `model:${name}`],
      ['version.registered', `version:${name}:1`],
      ['version.committed', `version:${name}:1`],
      ['version.updated', `version:${name}:1`],
      ['alias.set', `alias:${name}:champion`],
      ['alias.deleted', `alias:${name}:champion`],
      ['version.transitioned', `version:${name}:1`],
      ['version.registered', `version:${name}:2`],
      ['version.failed', `version:${name}:2`],
    ]);
    expect(events.map((e) => e.detail.seq)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
    const all = (await api.call('GET', '/local/events')).body as {
      source: string;
      time: string;
      id: string;
    }[];
    expect(all.every((e) => e.source === 'steward' && !Number.isNaN(Date.parse(e.time)) && e.id)).toBe(true);
  });
});
