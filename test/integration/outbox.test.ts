import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalOutbox } from '../../infra/local/outbox.ts';

/**
 * The local SES outbox under a kill -9: a mail it has answered for, or lists, is on disk already.
 * A restart of local mode resumes a pending approval without mailing its approvers again, so the
 * mail they had must still be in the outbox after the restart (test/integration/reconcile.test.ts).
 * The outbox runs in a child process that kills itself the moment the mail is acknowledged or
 * listed: no delay decides what the kill interrupts.
 */
const CHILD = `
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { LocalOutbox } from './infra/local/outbox.ts';
const outbox = await LocalOutbox.open(process.env.OUTBOX_DIR);
const ses = await outbox.listen('127.0.0.1');
const client = new SESv2Client({
  endpoint: ses.endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const sent = client.send(new SendEmailCommand({
  FromEmailAddress: 'steward@localhost',
  Destination: { ToAddresses: ['keeper@example.org'] },
  Content: { Simple: { Subject: { Data: 'decide' }, Body: { Text: { Data: 'open http://127.0.0.1:4000/v1/approval-links/s3cret' } } } },
}));
if (process.env.KILL_WHEN === 'acknowledged') await sent;
else while (outbox.view().length === 0) await new Promise((next) => setImmediate(next));
process.kill(process.pid, 'SIGKILL');
`;

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Runs the child until it kills itself; resolves with how it ended and what it printed. */
const sendAndDie = (dataDir: string, killWhen: 'acknowledged' | 'listed') =>
  new Promise<{ signal: NodeJS.Signals | null; code: number | null; output: string }>((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
      cwd: process.cwd(),
      env: { ...process.env, OUTBOX_DIR: dataDir, KILL_WHEN: killWhen },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', fail);
    child.once('exit', (code, signal) => done({ code, signal, output }));
  });

describe('the local outbox killed -9 right after a mail', { timeout: 60_000 }, () => {
  for (const killWhen of ['listed', 'acknowledged'] as const) {
    it(`keeps a mail it has ${killWhen}, with its link, for the next start`, async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'steward-outbox-'));
      dirs.push(dataDir);

      const ended = await sendAndDie(dataDir, killWhen);

      expect(ended.signal, ended.output).toBe('SIGKILL');
      const mails = (await LocalOutbox.open(dataDir)).view();
      expect(mails).toEqual([
        expect.objectContaining({
          to: 'keeper@example.org',
          subject: 'decide',
          links: ['http://127.0.0.1:4000/v1/approval-links/s3cret'],
        }),
      ]);
    });
  }
});
