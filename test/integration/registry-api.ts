import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type { LocalSystemOptions } from '#local/system';
import { type Api, startApi } from './local-api.ts';
import { sha256 } from './registry-fixtures.ts';

/**
 * The shared setup of the registry's integration files (models, versions, transitions, aliases,
 * conventions, idempotency, domain events): one local system per file, started before its first
 * test and closed after its last.
 *
 * Call it at the top level of a test file. The handle it returns forwards to the system once
 * started, and fails loudly when used outside a test or hook (before the system exists).
 */
export const localApiPerFile = (options: LocalSystemOptions = {}): Api => {
  let started: Api | undefined;
  beforeAll(async () => {
    started = await startApi(options);
  });
  afterAll(async () => {
    await started?.close();
  });
  const ready = (): Api => {
    if (!started) throw new Error('the local API is not started: use it inside a test or a hook');
    return started;
  };
  return {
    get system() {
      return ready().system;
    },
    get url() {
      return ready().url;
    },
    call: (method, path, options) => ready().call(method, path, options),
    close: () => ready().close(),
  };
};

/** A version registration body for `bytes`: the artifact's digest and size. */
export const artifactBody = (bytes: Uint8Array = randomBytes(32)) => ({
  artifact: { sha256: sha256(bytes), sizeBytes: bytes.length },
});
