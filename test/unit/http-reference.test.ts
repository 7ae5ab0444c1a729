import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildOpenApi } from '#api/openapi';
import { REFERENCE_FILE, renderReference } from '../../scripts/http-reference.ts';

describe('docs/http-reference.md', () => {
  it('is what the OpenAPI document renders to now (npm run docs:reference writes it)', () => {
    const rendered = renderReference(buildOpenApi());
    const committed = readFileSync(REFERENCE_FILE, 'utf8');
    expect(committed === rendered, 'docs/http-reference.md is stale: run npm run docs:reference').toBe(true);
  });

  it('lists every operation, parameter and field of the document', () => {
    const doc = buildOpenApi() as any;
    const text = renderReference(doc);
    for (const [path, item] of Object.entries<any>(doc.paths))
      for (const [method, op] of Object.entries<any>(item)) {
        expect(text).toContain(`### \`${method.toUpperCase()} ${path}\``);
        for (const p of op.parameters ?? []) expect(text).toContain(`| \`${p.name}\` | ${p.in} |`);
      }
    for (const [name, schema] of Object.entries<any>(doc.components.schemas)) {
      expect(text).toContain(`### ${name}`);
      for (const field of Object.keys(schema.properties ?? {})) expect(text).toContain(`| \`${field}\` |`);
    }
  });
});
