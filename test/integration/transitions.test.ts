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

/** Version transitions (READY -> DEPRECATED -> ARCHIVED) and their refusals, through the local HTTP adapter. */
const api = localApiPerFile();

describe('versions', () => {
  describe('transitions', () => {
    const transition = (name: string, version: number, to: string, principal?: string) =>
      api.call('POST', `/v1/models/${name}/versions/${version}/transitions`, {
        body: { to, reason: `moving to ${to}` },
        ...(principal ? { principal } : {}),
      });

    it('moves READY -> DEPRECATED -> ARCHIVED and no further', async () => {
      // Prepare
      const name = uniqueName('life');
      await createModel(api, name);
      await publishVersion(api, name);

      // Act
      const deprecated = await transition(name, 1, 'DEPRECATED');
      const again = await transition(name, 1, 'DEPRECATED');
      const archived = await transition(name, 1, 'ARCHIVED');
      const back = await transition(name, 1, 'DEPRECATED');
      const archivedAgain = await transition(name, 1, 'ARCHIVED');

      // Assess
      expect(deprecated.status, deprecated.text).toBe(200);
      expect(deprecated.body).toMatchObject({ status: 'DEPRECATED', statusReason: 'moving to DEPRECATED' });
      expectProblem(again, 409);
      expect(archived.status, archived.text).toBe(200);
      expect(archived.body.status).toBe('ARCHIVED');
      expectProblem(back, 409);
      expectProblem(archivedAgain, 409);
      expect((await api.call('GET', `/v1/models/${name}/versions/1`)).body.status).toBe('ARCHIVED');
    });

    it('moves READY -> ARCHIVED directly', async () => {
      // Prepare
      const name = uniqueName('arch');
      await createModel(api, name);
      await publishVersion(api, name);

      // Act
      const res = await transition(name, 1, 'ARCHIVED');

      // Assess
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('ARCHIVED');
    });

    it('refuses to move a PENDING_UPLOAD version with 409, and leaves it', async () => {
      // Prepare
      const name = uniqueName('pendmove');
      await createModel(api, name);
      await registerVersion(api, name, randomBytes(5));

      // Act
      const deprecated = await transition(name, 1, 'DEPRECATED');
      const archived = await transition(name, 1, 'ARCHIVED');

      // Assess
      expectProblem(deprecated, 409);
      expectProblem(archived, 409);
      expect((await api.call('GET', `/v1/models/${name}/versions/1`)).body.status).toBe('PENDING_UPLOAD');
    });

    it('refuses a target outside DEPRECATED/ARCHIVED and a missing reason with 400', async () => {
      // Prepare
      const name = uniqueName('badmove');
      await createModel(api, name);
      await publishVersion(api, name);

      // Act
      const toReady = await transition(name, 1, 'READY');
      const noReason = await api.call('POST', `/v1/models/${name}/versions/1/transitions`, {
        body: { to: 'DEPRECATED' },
      });

      // Assess
      expect(expectProblem(toReady, 400).errors?.map((e) => e.path)).toEqual(['body.to']);
      expect(expectProblem(noReason, 400).errors?.map((e) => e.path)).toEqual(['body.reason']);
      expect((await api.call('GET', `/v1/models/${name}/versions/1`)).body.status).toBe('READY');
    });

    it('lets only the owner or an admin move a version', async () => {
      // Prepare
      const name = uniqueName('moveowner');
      await createModel(api, name, {}, 'alice');
      await publishVersion(api, name, randomBytes(20), {}, 'alice');

      // Act
      const stranger = await transition(name, 1, 'DEPRECATED', 'mallory');
      const admin = await transition(name, 1, 'DEPRECATED', 'admin');

      // Assess
      expectProblem(stranger, 403);
      expect(admin.status).toBe(200);
    });
  });
});
