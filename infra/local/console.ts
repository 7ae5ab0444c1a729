import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { buildConsole } from '#console/build';

/**
 * The console in local mode: built once per process with esbuild (well under a second) into a
 * temporary folder on first use (or at start-up, `prebuild`), served at /console/ with a strict
 * CSP, and told by `config.json` that it runs in local mode (the principal header, no sign-in).
 */
export const CONSOLE_PREFIX = '/console';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

export interface StaticAnswer {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

export const consoleSite = (options: { s3Endpoint: string }) => {
  let built: Promise<string> | undefined;
  const dirs: string[] = [];
  const build = () => {
    built ??= (async () => {
      const dir = await mkdtemp(join(tmpdir(), 'steward-console-'));
      dirs.push(dir);
      await buildConsole(dir);
      return dir;
    })().catch((error: unknown) => {
      built = undefined;
      throw error;
    });
    return built;
  };
  const s3Origin = new URL(options.s3Endpoint).origin;
  const security = {
    // The drift report page (histograms) is read straight from S3 by its presigned URL.
    'content-security-policy': `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; frame-src ${s3Origin}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  };

  const serve = async (pathname: string): Promise<StaticAnswer> => {
    if (pathname === CONSOLE_PREFIX)
      return { status: 301, headers: { location: `${CONSOLE_PREFIX}/` }, body: '' };
    const rest = pathname.slice(CONSOLE_PREFIX.length + 1) || 'index.html';
    if (rest === 'config.json')
      return {
        status: 200,
        headers: { ...security, 'content-type': TYPES['.json']! },
        body: JSON.stringify({ mode: 'local' }),
      };
    const file = normalize(rest);
    const type = TYPES[extname(file)];
    if (file.startsWith('..') || file.includes('/') || !type)
      return { status: 404, headers: { 'content-type': TYPES['.txt']! }, body: 'not found' };
    const dir = await build();
    try {
      return {
        status: 200,
        headers: { ...security, 'content-type': type },
        body: await readFile(join(dir, file)),
      };
    } catch {
      return { status: 404, headers: { 'content-type': TYPES['.txt']! }, body: 'not found' };
    }
  };

  return {
    serve,
    prebuild: () => build().then(() => undefined),
    close: async () => {
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    },
  };
};
