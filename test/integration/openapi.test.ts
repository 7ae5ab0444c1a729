import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '#api/routes';
import { type Api, startApi } from './local-api.ts';

const run = promisify(execFile);

describe('GET /v1/openapi.json', () => {
  let api: Api;
  let document: any;

  beforeAll(async () => {
    api = await startApi();
    const response = await api.call('GET', '/v1/openapi.json');
    expect(response.status).toBe(200);
    document = response.body;
  });

  afterAll(() => api.close());

  it('is OpenAPI 3.1 and describes every route of the route table (MLflow documents its own protocol)', () => {
    expect(document.openapi).toBe('3.1.0');
    for (const route of routes.filter((r) => r.protocol !== 'mlflow')) {
      const operation = document.paths[route.path]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.path}`).toBeDefined();
      expect(operation.operationId).toBe(route.operationId);
    }
  });

  it('declares the answers to a body it cannot read on every route: 400, 413 and 415 (issue 11, defect 10)', () => {
    for (const route of routes.filter((r) => r.protocol !== 'mlflow')) {
      const responses = document.paths[route.path][route.method.toLowerCase()].responses;
      for (const status of ['400', '413', '415'])
        expect(responses[status], `${status} on ${route.method} ${route.path}`).toBeDefined();
    }
  });

  it('carries the request schemas the handlers validate with', () => {
    const schemas = document.components.schemas;
    expect(schemas.CreateModel.required).toContain('name');
    expect(schemas.CreateModel.additionalProperties).toBe(false);
    // One file (sha256 and sizeBytes) or a set of files (files), never both.
    const artifact = schemas.RegisterVersion.properties.artifact;
    expect(artifact.oneOf.map((shape: { required: string[] }) => shape.required)).toEqual([
      ['sha256', 'sizeBytes'],
      ['files'],
    ]);
  });

  it('passes the Redocly linter with no errors and no warnings', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'steward-openapi-'));
    const file = join(dir, 'openapi.json');
    await writeFile(file, JSON.stringify(document));
    const { stdout, stderr } = await run(
      process.execPath,
      ['node_modules/@redocly/cli/bin/cli.js', 'lint', file],
      {
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      },
    ).catch((error: { stdout: string; stderr: string }) => {
      throw new Error(`redocly lint failed:\n${error.stdout}\n${error.stderr}`);
    });
    const output = `${stdout}\n${stderr}`;
    expect(output).toContain('Your API description is valid');
    expect(output).not.toMatch(/You have \d+ warning/);
  });
});
