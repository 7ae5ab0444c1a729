import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StewardClient } from '#client/client';
import { UploadError } from '#client/errors';
import { publish } from '#client/upload';

/**
 * The client's multipart upload against a stand-in for S3 that fails one part's first attempt:
 * the part is sent again, the others go up in parallel, and the commit gets every part's ETag.
 * The Steward API is a fake here (a unit of the upload logic); the CLI test drives the real one.
 */
describe('multipart upload', () => {
  let server: Server;
  let base: string;
  let dir: string;
  const received = new Map<number, Buffer>();
  let inFlight = 0;
  let maxInFlight = 0;
  let failuresLeft = new Map<number, number>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      const part = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('partNumber'));
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        setTimeout(() => {
          inFlight--;
          const left = failuresLeft.get(part) ?? 0;
          if (left > 0) {
            failuresLeft.set(part, left - 1);
            res.writeHead(503).end('<Error><Code>SlowDown</Code></Error>');
            return;
          }
          if (part === 99) {
            res.writeHead(403).end('<Error><Code>SignatureDoesNotMatch</Code></Error>');
            return;
          }
          const body = Buffer.concat(chunks);
          expect(Number(req.headers['content-length'])).toBe(body.length);
          received.set(part, body);
          res.writeHead(200, { etag: `"etag-${part}"` }).end();
        }, 20);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dir = await mkdtemp(join(tmpdir(), 'steward-upload-'));
  });
  afterAll(async () => {
    server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const fakeClient = (partSize: number, size: number, partNumbers?: number[]) => {
    const calls: { registered?: any; committed?: any } = {};
    const count = Math.ceil(size / partSize);
    const client = {
      registerVersion: async (_model: string, body: any) => {
        calls.registered = body;
        return {
          name: 'm',
          version: 7,
          status: 'PENDING_UPLOAD',
          upload: {
            method: 'PUT',
            headers: {},
            expiresAt: new Date().toISOString(),
            parts: Array.from({ length: count }, (_, i) => ({
              partNumber: partNumbers?.[i] ?? i + 1,
              url: `${base}/obj?partNumber=${partNumbers?.[i] ?? i + 1}`,
              offset: i * partSize,
              sizeBytes: Math.min(partSize, size - i * partSize),
            })),
          },
        };
      },
      commitVersion: async (_m: string, _v: number, parts: unknown) => {
        calls.committed = parts;
        return { name: 'm', version: 7, status: 'READY' };
      },
    } as unknown as StewardClient;
    return { client, calls };
  };

  it('sends parts in parallel, retries a failed part, and commits every ETag in order', async () => {
    const bytes = randomBytes(10 * 1000 + 7);
    const file = join(dir, 'a.bin');
    await writeFile(file, bytes);
    received.clear();
    failuresLeft = new Map([[3, 2]]);
    const { client, calls } = fakeClient(1000, bytes.length);
    const progress: number[] = [];

    const result = await publish(client, 'm', {
      file,
      concurrency: 4,
      onProgress: (p) => p.phase === 'upload' && progress.push(p.done),
    });

    expect(calls.registered.artifact).toEqual({
      sha256: createHash('sha256').update(bytes).digest('hex'),
      sizeBytes: bytes.length,
      fileName: 'a.bin',
    });
    expect(result).toMatchObject({ multipart: true, parts: 11, retries: 2 });
    expect(maxInFlight).toBeGreaterThan(1);
    expect(Buffer.concat([...received.entries()].sort(([a], [b]) => a - b).map(([, b]) => b))).toEqual(bytes);
    expect(calls.committed).toEqual(
      Array.from({ length: 11 }, (_, i) => ({ partNumber: i + 1, etag: `"etag-${i + 1}"` })),
    );
    expect(progress.at(-1)).toBe(bytes.length);
  });

  it('gives up on a part S3 refuses outright, without retrying it', async () => {
    const file = join(dir, 'b.bin');
    await writeFile(file, randomBytes(100));
    const { client, calls } = fakeClient(100, 100, [99]);
    const error = await publish(client, 'm', { file, attempts: 5 }).catch((e) => e);
    expect(error).toBeInstanceOf(UploadError);
    expect(error.message).toContain('403 SignatureDoesNotMatch');
    expect(calls.committed).toBeUndefined();
  });
});
