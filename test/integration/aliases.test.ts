import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { localApiPerFile } from './registry-api.ts';
import {
  createModel,
  expectProblem,
  publishVersion,
  registerVersion,
  uniqueName,
} from './registry-fixtures.ts';

/** Aliases: set, read, move and delete, and their refusals, through the local HTTP adapter. */
const api = localApiPerFile();

describe('aliases', () => {
  it('sets, reads (as the version), moves and deletes an alias', async () => {
    // Prepare
    const name = uniqueName('alias');
    await createModel(api, name);
    await publishVersion(api, name);
    await publishVersion(api, name);

    // Act
    const set = await api.call('PUT', `/v1/models/${name}/aliases/champion`, { body: { version: 1 } });
    const read1 = await api.call('GET', `/v1/models/${name}/aliases/champion`);
    const moved = await api.call('PUT', `/v1/models/${name}/aliases/champion`, { body: { version: 2 } });
    const read2 = await api.call('GET', `/v1/models/${name}/aliases/champion`);
    const deleted = await api.call('DELETE', `/v1/models/${name}/aliases/champion`);
    const gone = await api.call('GET', `/v1/models/${name}/aliases/champion`);
    const deletedAgain = await api.call('DELETE', `/v1/models/${name}/aliases/champion`);

    // Assess
    expect(set.status, set.text).toBe(200);
    expect(set.body).toMatchObject({ name, alias: 'champion', version: 1 });
    expect(read1.status).toBe(200);
    expect(read1.body).toMatchObject({ name, version: 1, status: 'READY', artifact: expect.any(Object) });
    expect(moved.status).toBe(200);
    expect(read2.body.version).toBe(2);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expectProblem(gone, 404);
    expectProblem(deletedAgain, 404);
    expect((await api.call('GET', `/v1/models/${name}`)).body.aliases).toEqual({});
  });

  it('refuses an alias to a version that is not READY with 409', async () => {
    // Prepare
    const name = uniqueName('aliaspend');
    await createModel(api, name);
    await registerVersion(api, name, randomBytes(5));

    // Act
    const res = await api.call('PUT', `/v1/models/${name}/aliases/champion`, { body: { version: 1 } });

    // Assess
    expectProblem(res, 409);
    expectProblem(await api.call('GET', `/v1/models/${name}/aliases/champion`), 404);
  });

  it('refuses an alias to a version that does not exist with 404', async () => {
    // Prepare
    const name = uniqueName('aliasnov');
    await createModel(api, name);

    // Act
    const res = await api.call('PUT', `/v1/models/${name}/aliases/champion`, { body: { version: 3 } });

    // Assess
    expectProblem(res, 404);
  });

  it('refuses an alias named as an integer, or outside [a-z0-9_-], with 400', async () => {
    // Prepare
    const name = uniqueName('aliasname');
    await createModel(api, name);
    await publishVersion(api, name);

    // Act
    const responses = await Promise.all(
      ['42', 'Champion', 'a.b', 'x'.repeat(65)].map((alias) =>
        api.call('PUT', `/v1/models/${name}/aliases/${alias}`, { body: { version: 1 } }),
      ),
    );

    // Assess
    for (const res of responses) expect(expectProblem(res, 400).errors?.[0]?.path).toBe('path.alias');
    expect((await api.call('GET', `/v1/models/${name}`)).body.aliases).toEqual({});
  });

  it('lets only the owner or an admin set or delete an alias', async () => {
    // Prepare
    const name = uniqueName('aliasowner');
    await createModel(api, name, {}, 'alice');
    await publishVersion(api, name, randomBytes(10), {}, 'alice');

    // Act
    const strangerSet = await api.call('PUT', `/v1/models/${name}/aliases/prod`, {
      principal: 'mallory',
      body: { version: 1 },
    });
    const ownerSet = await api.call('PUT', `/v1/models/${name}/aliases/prod`, {
      principal: 'alice',
      body: { version: 1 },
    });
    const strangerDelete = await api.call('DELETE', `/v1/models/${name}/aliases/prod`, {
      principal: 'mallory',
    });
    const adminDelete = await api.call('DELETE', `/v1/models/${name}/aliases/prod`, { principal: 'admin' });

    // Assess
    expectProblem(strangerSet, 403);
    expect(ownerSet.status).toBe(200);
    expectProblem(strangerDelete, 403);
    expect(adminDelete.status).toBe(204);
  });
});
