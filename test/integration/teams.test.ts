import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '#adapters/keys';
import { type Api, startApi } from './local-api.ts';
import { createModel, expectProblem, publishVersion, tableClient, uniqueName } from './registry-fixtures.ts';

/**
 * Teams as owners: a model's `owners` are principals or patterns; its publishers register
 * versions, its members or an admin edit the list, and a model from before teams keeps working.
 */
describe('teams as owners', () => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(() => api.close());

  it('keeps the creating pipeline in the team when the owner is someone else', async () => {
    const name = uniqueName('team');
    const created = await createModel(api, name, { owner: 'ml-platform' }, 'ci-bot');
    expect(created).toMatchObject({ owner: 'ml-platform', owners: ['ml-platform', 'ci-bot'] });
    expect(created.mayAct.registerVersions).toEqual([
      'publisher matching ml-platform',
      'publisher matching ci-bot',
      'any admin',
    ]);

    // ci-bot's next version is accepted (it was a 403 before teams).
    const { version } = await publishVersion(api, name, undefined, {}, 'ci-bot');
    expect(version).toBe(1);
    expectProblem(
      await api.call('POST', `/v1/models/${name}/versions`, {
        principal: 'mallory',
        body: { artifact: { sha256: 'a'.repeat(64), sizeBytes: 1 } },
      }),
      403,
    );
  });

  it('matches role patterns, and lets members or an admin edit the team', async () => {
    const name = uniqueName('pattern');
    await createModel(api, name, { owners: ['alice', 'ci-*'] }, 'alice');
    await publishVersion(api, name, undefined, {}, 'ci-runner-42');

    const outsider = await api.call('PATCH', `/v1/models/${name}`, {
      principal: 'mallory',
      body: { owners: ['mallory'] },
    });
    const problem = expectProblem(outsider, 403);
    expect(problem.detail).toContain("not in the model's owning team (alice, ci-*)");

    const member = await api.call('PATCH', `/v1/models/${name}`, {
      principal: 'ci-runner-42',
      body: { owners: ['alice', 'ci-*', 'bob'] },
    });
    expect(member.status, member.text).toBe(200);
    expect(member.body.owners).toEqual(['alice', 'ci-*', 'bob']);

    const admin = await api.call('PATCH', `/v1/models/${name}`, {
      principal: 'admin',
      body: { owners: ['carol'] },
    });
    expect(admin.status).toBe(200);
    expectProblem(
      await api.call('PATCH', `/v1/models/${name}`, { principal: 'alice', body: { description: 'x' } }),
      403,
    );

    const invalid = await api.call('PATCH', `/v1/models/${name}`, {
      principal: 'carol',
      body: { owners: [] },
    });
    expect(expectProblem(invalid, 400).errors?.[0]?.path).toBe('body.owners');
  });

  it('reads a model from before teams as a team of its owner, and writes the team on its next change', async () => {
    const name = uniqueName('legacy');
    await createModel(api, name, {}, 'alice');
    // A model item as stored before teams existed: no owners attribute.
    const db = tableClient(api.system);
    await db.send(
      new UpdateCommand({ TableName: 'steward', Key: keys.model(name), UpdateExpression: 'REMOVE owners' }),
    );
    const before = await api.call('GET', `/v1/models/${name}`);
    expect(before.body.owners).toEqual(['alice']);
    await publishVersion(api, name, undefined, {}, 'alice');

    await api.call('PATCH', `/v1/models/${name}`, { principal: 'alice', body: { description: 'migrated' } });
    const stored = await db.send(new GetCommand({ TableName: 'steward', Key: keys.model(name) }));
    expect(stored.Item?.owners).toEqual(['alice']);
  });
});
