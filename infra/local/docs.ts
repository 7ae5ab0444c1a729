import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildOpenApi } from '#api/openapi';

/**
 * The API reference people read: the OpenAPI document rendered by Redoc (@redocly/cli
 * build-docs, one self-contained HTML file, no network), built once per process on first use,
 * and the landing page at `/`.
 */
let built: Promise<string> | undefined;

export const renderDocs = async (): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), 'steward-docs-'));
  try {
    const spec = join(dir, 'openapi.json');
    const out = join(dir, 'index.html');
    await writeFile(spec, JSON.stringify(buildOpenApi()));
    const cli = createRequire(import.meta.url).resolve('@redocly/cli/bin/cli.js');
    await promisify(execFile)(
      process.execPath,
      [cli, 'build-docs', spec, '-o', out, '--title', 'Steward API'],
      {
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
        timeout: 120_000,
      },
    );
    return await readFile(out, 'utf8');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};

export const docsPage = (): Promise<string> => {
  built ??= renderDocs().catch((error) => {
    built = undefined;
    throw error;
  });
  return built;
};

export const landingPage = (info: { s3Endpoint: string; dataDir: string | undefined }) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Steward (local mode)</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem;color:#1f2328}
h1{margin-bottom:.2rem}p.sub{color:#57606a;margin-top:0}
a{color:#0969da}li{margin:.4rem 0}code{background:#f6f8fa;padding:.1rem .3rem;border-radius:4px}
</style></head><body>
<h1>Steward</h1>
<p class="sub">Model registry, lineage, audit trail, approvals, deployments and drift. This is local mode.</p>
<ul>
<li><a href="/console/"><strong>Console</strong></a>: models, versions, lineage, approvals, deployments, drift, audit, inventory and environments, in the browser (pick who you act as).</li>
<li><a href="/docs">API reference</a>: every operation, parameter and field, explained (Redoc).</li>
<li><a href="/v1/openapi.json">OpenAPI document</a> (OpenAPI 3.1, generated from the schemas the handlers validate with).</li>
<li><a href="/v1/health">Health</a>.</li>
<li><a href="/local/outbox">Email outbox</a>: the approval emails and their links (filter with <code>?to=</code>, <code>?subject=</code>, <code>?since=</code>).</li>
<li><a href="/local/events">Domain events</a>, <a href="/local/targets">deployment targets</a>, <a href="/local/info">local info</a>.</li>
</ul>
<p>Identity in local mode: the <code>X-Steward-Principal</code> header (default <code>local-user</code>;
<code>admin</code> is an admin, <code>auditor</code> reads only). From a shell: <code>npx steward --as ci-bot models list</code>.</p>
<p>S3 (artifacts) answers at <code>${info.s3Endpoint}</code>; state is kept in <code>${info.dataDir ?? 'memory (temporary)'}</code>.</p>
</body></html>
`;
