import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

/**
 * One Node statement: every Node version package.json's `engines` admits is one every installed
 * package admits too, except where the project makes up the difference itself (each named here
 * with what it does about it). CI and the machine run Node 20.
 */
const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8'));
const ours: string = manifest.engines.node;

const BRIDGED: Record<string, string> = {
  // It asks for Node 22 for Promise.withResolvers alone; local mode defines it where it is missing.
  'node_modules/aws-local-stepfunctions':
    'Promise.withResolvers, defined by infra/local/stepfunctions-tasks.ts',
};

describe('the Node engine statement', () => {
  it('admits the Node that runs the tests, and is the one the lockfile records', () => {
    expect(semver.satisfies(process.version, ours), `${process.version} vs ${ours}`).toBe(true);
    expect(lock.packages[''].engines.node).toBe(ours);
  });

  it('is within every installed package engines range, but for the bridged ones', () => {
    const narrower = Object.entries<{ engines?: { node?: string } }>(lock.packages)
      .filter(([path, entry]) => path && entry.engines?.node && !semver.subset(ours, entry.engines.node))
      .map(([path]) => path);
    expect(narrower.sort()).toEqual(Object.keys(BRIDGED).sort());
  });

  it('bridges what aws-local-stepfunctions needs from Node 22 (Promise.withResolvers)', async () => {
    await import('#local/stepfunctions-tasks');
    const { promise, resolve } = (
      Promise as unknown as { withResolvers: <T>() => { promise: Promise<T>; resolve: (v: T) => void } }
    ).withResolvers<number>();
    resolve(7);
    await expect(promise).resolves.toBe(7);
  });
});
