import { describe, expect, it } from 'vitest';
import { buildOpenApi } from '#api/openapi';
import { routes } from '#api/routes';
import { undescribed } from '../../scripts/openapi-prose.ts';

/** The reference explains itself: nothing in the OpenAPI document goes without prose. */
describe('the OpenAPI document', () => {
  it('describes every operation, parameter, field and tag', () => {
    expect(undescribed(buildOpenApi())).toEqual([]);
  });

  it('has prose of its own on every route entry, beyond the role it needs', () => {
    const bare = routes.filter((r) => r.protocol !== 'mlflow' && !r.description).map((r) => r.operationId);
    expect(bare).toEqual([]);
  });

  it('declares SigV4 as AWS SigV4, not an API key, and the local-mode principal header', () => {
    const doc = buildOpenApi() as unknown as {
      info: { description: string };
      components: { securitySchemes: Record<string, Record<string, string>> };
    };
    const sigv4 = doc.components.securitySchemes.sigv4!;
    expect(sigv4.type).not.toBe('apiKey');
    expect(sigv4['x-amazon-apigateway-authtype']).toBe('awsSigv4');
    expect(sigv4.description).toContain('execute-api');
    expect(doc.info.description).toContain('X-Steward-Principal');
    expect(doc.info.description).toContain('model-version:<model>:<version>');
  });
});
