import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, startApi } from './local-api.ts';

const run = promisify(execFile);
const tsx = createRequire(import.meta.url).resolve('tsx/cli');

/** `npm run demo` as a newcomer runs it: against local mode, found by PORT or STEWARD_URL. */
const demo = (env: Record<string, string>) =>
  run(process.execPath, [tsx, 'scripts/demo.ts'], {
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: 240_000,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );

describe('npm run demo', () => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi({ targetTransitionMs: 100, waitScale: 0.005 });
  });
  afterAll(() => api.close());

  it('follows PORT, shows progress while it waits, and explains every drift figure', async () => {
    const port = new URL(api.url).port;

    const { code, stdout, stderr } = await demo({ PORT: port });

    expect(code, stderr).toBe(0);
    expect(stdout).toContain(`Steward at http://localhost:${port}`);
    expect(stdout).toMatch(/\.\.\. [\d.]+ s: request ar-\w+: APPROVED/);
    expect(stdout).toMatch(/\.\.\. [\d.]+ s: dep-\w+ \(deploy\): SUCCEEDED, step succeeded/);
    for (const figure of ['PSI', 'JS', 'KS p', 'W/std', 'chi2 p', 'drifted share'])
      expect(stdout).toMatch(new RegExp(`^   ${figure.replace('/', '\\/')} +\\S.+`, 'm'));
    expect(stdout.trim().endsWith('Done.')).toBe(true);
  }, 240_000);

  it('says the server is down only when nothing answers, and names a wrong server otherwise', async () => {
    const down = await demo({ STEWARD_URL: 'http://127.0.0.1:9' });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('Nothing answers at http://127.0.0.1:9');

    // Something answers there, but it is not Steward's health check.
    const wrong = await demo({ STEWARD_URL: `${api.url}/v1/models` });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).not.toContain('Nothing answers');
    expect(wrong.stderr).toContain('answers, but GET /v1/health said 404');
  }, 60_000);
});
