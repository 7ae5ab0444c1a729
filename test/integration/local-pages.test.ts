import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../eventually.ts';
import { type Api, startApi } from './local-api.ts';
import { createModel, publishVersion, uniqueName } from './registry-fixtures.ts';

/** Local mode for people: the landing page, the rendered API reference, and the outbox's filters. */
describe('local pages', () => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(() => api.close());

  it('answers GET / with a landing page linking the console, docs, health, outbox and OpenAPI', async () => {
    const res = await api.call('GET', '/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    for (const href of ['/console/', '/docs', '/v1/health', '/local/outbox', '/v1/openapi.json'])
      expect(res.text).toContain(`href="${href}"`);
  });

  it('serves the rendered reference at /docs, with the prose of the schemas', async () => {
    const res = await api.call('GET', '/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.text).toContain('<title>Steward API</title>');
    // Redoc embeds the document: the field descriptions written beside the zod schemas are there.
    expect(res.text).toContain('The owning team');
    expect(res.text).toContain('model-version:');
  }, 120_000);

  it('filters the outbox by recipient, subject and time, and refuses an unknown filter', async () => {
    const name = uniqueName('mail');
    await createModel(api, name);
    const { version } = await publishVersion(api, name);
    const before = new Date().toISOString();
    const requested = await api.call('POST', `/v1/models/${name}/versions/${version}/approvals`, {
      principal: 'someone-else',
      body: { environment: 'staging' },
    });
    expect(requested.status, requested.text).toBe(202);

    // The workflow mails the approvers after the 202: wait for it, loudly.
    const mine = await eventually('the approval email to lead@example.com', async () => {
      const read = await api.call('GET', `/local/outbox?to=LEAD@example.com&since=${before}`);
      return read.body.length === 0 ? undefined : read;
    });
    expect(mine.status).toBe(200);
    expect(mine.body.length).toBe(1);
    expect(mine.body[0]).toMatchObject({ to: 'lead@example.com' });
    expect(mine.body[0].subject).toContain(name);
    expect((await api.call('GET', '/local/outbox?to=nobody@example.com')).body).toEqual([]);
    expect((await api.call('GET', `/local/outbox?subject=${name}`)).body).toHaveLength(1);
    expect((await api.call('GET', '/local/outbox?since=2999-01-01T00:00:00Z')).body).toEqual([]);

    const bad = await api.call('GET', '/local/outbox?recipient=x');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('query.recipient');
  });
});
