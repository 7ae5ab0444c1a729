import { randomUUID } from 'node:crypto';
import { appendFile, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { type LocalEndpoint, listenLocal } from './listen.ts';

/**
 * The local stand-in for SES v2: the real SESv2Client sends `SendEmail` here, and the message
 * lands in the outbox (`GET /local/outbox`, and `outbox.jsonl` under the data dir) instead of a
 * mailbox. Links in the text are listed so a person or a test can follow them. A mail is on disk
 * before SES answers for it and before the outbox lists it, so a kill -9 right after loses none.
 */
export interface OutboxMail {
  id: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  links: string[];
  at: string;
}

interface SendEmailRequest {
  FromEmailAddress?: string;
  Destination?: { ToAddresses?: string[] };
  Content?: {
    Simple?: { Subject?: { Data?: string }; Body?: { Text?: { Data?: string }; Html?: { Data?: string } } };
  };
}

const LINK = /https?:\/\/[^\s"'<>]+/g;
/** Senders SES can never verify: the reserved example domains (RFC 2606), such as the shipped placeholder. */
const UNVERIFIABLE = /@example\.(com|org|net)$/i;

/** The outbox's record of a SendEmail request; throws on a request SES would call malformed. */
const mailOf = (request: SendEmailRequest): OutboxMail => {
  const simple = request.Content?.Simple;
  const text = simple?.Body?.Text?.Data ?? '';
  return {
    id: randomUUID(),
    from: request.FromEmailAddress ?? '',
    to: request.Destination?.ToAddresses ?? [],
    subject: simple?.Subject?.Data ?? '',
    text,
    html: simple?.Body?.Html?.Data ?? '',
    links: [...new Set(text.match(LINK) ?? [])],
    at: new Date().toISOString(),
  };
};

export class LocalOutbox {
  readonly mails: OutboxMail[] = [];
  private pending: Promise<void> = Promise.resolve();
  private constructor(private readonly file: string | undefined) {}

  static async open(dataDir: string | undefined): Promise<LocalOutbox> {
    const file = dataDir ? join(dataDir, 'outbox.jsonl') : undefined;
    const outbox = new LocalOutbox(file);
    if (file) {
      const text = await readFile(file, 'utf8').catch(() => '');
      for (const line of text.split('\n')) if (line.trim()) outbox.mails.push(JSON.parse(line) as OutboxMail);
    }
    return outbox;
  }

  /** Resolves once the mail is kept: on disk first (with a data dir), then listed. */
  private async keep(mail: OutboxMail): Promise<OutboxMail> {
    if (this.file) await this.append(`${JSON.stringify(mail)}\n`);
    this.mails.push(mail);
    return mail;
  }

  /** Appends in order; a failed append fails its own mail only, not the ones after it. */
  private append(line: string): Promise<void> {
    const file = this.file!;
    const written = this.pending.then(() => appendFile(file, line, { mode: 0o600 }));
    this.pending = written.catch(() => undefined);
    return written;
  }

  /** As API.md shows it: `[{to, subject, text, html, links, at}]`, one entry per recipient. */
  view() {
    return this.mails.flatMap((m) =>
      m.to.map((to) => ({
        id: m.id,
        from: m.from,
        to,
        subject: m.subject,
        text: m.text,
        html: m.html,
        links: m.links,
        at: m.at,
      })),
    );
  }

  flush(): Promise<void> {
    return this.pending;
  }

  /** An HTTP endpoint that speaks SES v2's SendEmail (POST /v2/email/outbound-emails). */
  listen(host: string): Promise<LocalEndpoint> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.method !== 'POST' || !req.url?.startsWith('/v2/email/outbound-emails')) {
          res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'NotFoundException' });
          res.end(JSON.stringify({ message: `${req.method} ${req.url} is not emulated` }));
          return;
        }
        let request: SendEmailRequest;
        try {
          request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as SendEmailRequest;
        } catch {
          res.writeHead(400, {
            'content-type': 'application/json',
            'x-amzn-errortype': 'BadRequestException',
          });
          res.end(JSON.stringify({ message: 'malformed SendEmail request' }));
          return;
        }
        // As SES answers a sender it has not verified: the reserved example domains never can be.
        const from = request.FromEmailAddress ?? '';
        if (UNVERIFIABLE.test(from)) {
          res.writeHead(400, { 'content-type': 'application/json', 'x-amzn-errortype': 'MessageRejected' });
          res.end(
            JSON.stringify({
              message: `Email address is not verified. The following identities failed the check in region US-EAST-1: ${from}`,
            }),
          );
          return;
        }
        let mail: OutboxMail;
        try {
          mail = mailOf(request);
        } catch {
          res.writeHead(400, {
            'content-type': 'application/json',
            'x-amzn-errortype': 'BadRequestException',
          });
          res.end(JSON.stringify({ message: 'malformed SendEmail request' }));
          return;
        }
        // SES's 200 says it has the message: answered once the mail is on disk, not before.
        this.keep(mail).then(
          () => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ MessageId: mail.id }));
          },
          () => {
            res.writeHead(500, { 'content-type': 'application/json', 'x-amzn-errortype': 'InternalFailure' });
            res.end(JSON.stringify({ message: 'the outbox could not keep the mail' }));
          },
        );
      });
    });
    return listenLocal(server, host);
  }
}
