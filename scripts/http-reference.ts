import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildOpenApi } from '#api/openapi';

/**
 * docs/http-reference.md: the OpenAPI document as Markdown a reader can browse in the repository,
 * with every operation, parameter, answer and field and its description. Generated, never edited:
 * `npm run docs:reference` writes it, and a test fails when it no longer matches the document.
 */
// biome-ignore lint/suspicious/noExplicitAny: an OpenAPI document walked generically
type Json = any;

const cell = (text: unknown): string =>
  String(text ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\s*\n\s*/g, ' ')
    .trim();

const refName = (ref: string): string => ref.split('/').pop()!;
const anchor = (name: string): string => `schema-${name.toLowerCase()}`;

/** A schema's type in a few words: `string`, `"a" \| "b"`, `Model[]`, a link to a named schema. */
const typeOf = (schema: Json): string => {
  if (!schema || typeof schema !== 'object') return 'any';
  if (schema.$ref) return `[${refName(schema.$ref)}](#${anchor(refName(schema.$ref))})`;
  if (schema.const !== undefined) return `\`${JSON.stringify(schema.const)}\``;
  if (schema.enum) return schema.enum.map((v: unknown) => `\`${JSON.stringify(v)}\``).join(' \\| ');
  for (const key of ['oneOf', 'anyOf'] as const)
    if (schema[key]) return schema[key].map(typeOf).join(' \\| ');
  if (schema.type === 'array') return `${typeOf(schema.items)}[]`;
  if (schema.type === 'object' && schema.additionalProperties && !schema.properties)
    return `map of ${typeOf(schema.additionalProperties)}`;
  // A variant of a union names itself by its title, as its fields' rows do (`target<lambda>.alias`).
  if (schema.type === 'object' && schema.title) return `object (${schema.title})`;
  const type = Array.isArray(schema.type) ? schema.type.join(' \\| ') : (schema.type ?? 'any');
  return schema.format ? `${type} (${schema.format})` : type;
};

const example = (schema: Json): string =>
  schema?.example === undefined ? '' : `Example: \`${JSON.stringify(schema.example)}\`.`;

/** A description and its example, as one cell's text (a space between them, none where one is empty). */
const meaning = (description: unknown, schema: Json): string =>
  [cell(description), cell(example(schema))].filter(Boolean).join(' ');

/** Each field of an object schema, nested fields as dotted paths, arrays as `[]`. */
const fieldRows = (schema: Json, prefix = '', depth = 0): string[] => {
  if (!schema || typeof schema !== 'object' || schema.$ref || depth > 6) return [];
  const rows: string[] = [];
  const required = new Set<string>(schema.required ?? []);
  for (const [name, property] of Object.entries<Json>(schema.properties ?? {})) {
    const path = `${prefix}${name}`;
    rows.push(
      `| \`${path}\` | ${typeOf(property)} | ${required.has(name) ? 'yes' : ''} | ${meaning(property.description, property)} |`,
    );
    const inner = property.type === 'array' ? property.items : property;
    rows.push(...fieldRows(inner, `${path}${property.type === 'array' ? '[]' : ''}.`, depth + 1));
    for (const [i, variant] of (inner?.oneOf ?? inner?.anyOf ?? []).entries())
      if (variant?.properties)
        rows.push(...fieldRows(variant, `${path}<${variant.title ?? i + 1}>.`, depth + 1));
  }
  return rows;
};

const FIELD_HEAD = ['| field | type | required | meaning |', '| --- | --- | --- | --- |'];

const schemaBlock = (schema: Json): string[] => {
  if (schema?.$ref) return [`${typeOf(schema)}`];
  const rows = fieldRows(schema);
  const variants = (schema?.oneOf ?? schema?.anyOf ?? []).filter((v: Json) => v?.properties);
  if (!rows.length && !variants.length)
    return [`${typeOf(schema)}${schema?.description ? `: ${cell(schema.description)}` : ''}`];
  const out = rows.length ? [...FIELD_HEAD, ...rows] : [];
  for (const [i, v] of variants.entries())
    out.push('', `One of: **${v.title ?? `shape ${i + 1}`}**`, '', ...FIELD_HEAD, ...fieldRows(v));
  return out;
};

export const renderReference = (doc: Json): string => {
  const lines: string[] = [
    `# ${doc.info.title} HTTP API reference`,
    '',
    '<!-- Generated from the OpenAPI document by `npm run docs:reference` (scripts/http-reference.ts). Do not edit. -->',
    '',
    `Version ${doc.info.version}. The same document is served at \`GET /v1/openapi.json\`; local mode renders it with Redoc at \`/docs\`.`,
    '',
    doc.info.description ?? '',
    '',
    '## Authentication',
    '',
  ];
  for (const [name, scheme] of Object.entries<Json>(doc.components?.securitySchemes ?? {}))
    lines.push(`**${name}**: ${scheme.description ?? ''}`, '');

  const tags: Json[] = doc.tags ?? [];
  const byTag = new Map<string, [string, string, Json][]>(tags.map((t) => [t.name, []]));
  for (const [path, item] of Object.entries<Json>(doc.paths ?? {}))
    for (const [method, op] of Object.entries<Json>(item)) {
      const tag = op.tags?.[0] ?? 'other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag)!.push([method.toUpperCase(), path, op]);
    }

  lines.push('## Operations', '');
  for (const t of tags) {
    const ops = byTag.get(t.name) ?? [];
    lines.push(`- [${t.name}](#${t.name.toLowerCase()}): ${ops.map(([m, p]) => `\`${m} ${p}\``).join(', ')}`);
  }
  lines.push('');

  for (const t of tags) {
    lines.push(`## ${t.name}`, '', t.description ?? '', '');
    for (const [method, path, op] of byTag.get(t.name) ?? []) {
      lines.push(`### \`${method} ${path}\``, '');
      if (op.summary) lines.push(`**${op.summary}**`, '');
      if (op.description) lines.push(op.description, '');
      lines.push(op.security?.length === 0 ? 'No authentication.' : 'Signed (SigV4) on AWS.', '');
      if (op.parameters?.length) {
        lines.push('| parameter | in | type | required | meaning |', '| --- | --- | --- | --- | --- |');
        for (const p of op.parameters)
          lines.push(
            `| \`${p.name}\` | ${p.in} | ${typeOf(p.schema)} | ${p.required ? 'yes' : ''} | ${meaning(p.description, p.schema)} |`,
          );
        lines.push('');
      }
      for (const [media, body] of Object.entries<Json>(op.requestBody?.content ?? {})) {
        lines.push(`Body (\`${media}\`${op.requestBody.required === false ? ', optional' : ''}):`, '');
        lines.push(...schemaBlock(body.schema), '');
      }
      lines.push('| status | answer |', '| --- | --- |');
      for (const [status, r] of Object.entries<Json>(op.responses ?? {})) {
        const media = Object.entries<Json>(r.content ?? {})
          .map(([m, c]) => `\`${m}\`${c.schema?.$ref ? ` ${typeOf(c.schema)}` : ''}`)
          .join(', ');
        lines.push(`| ${status} | ${cell(r.description)}${media ? ` (${media})` : ''} |`);
      }
      lines.push('');
      for (const [status, r] of Object.entries<Json>(op.responses ?? {}))
        for (const [media, c] of Object.entries<Json>(r.content ?? {}))
          if (c.schema && !c.schema.$ref && c.schema.properties)
            lines.push(`${status} \`${media}\` fields:`, '', ...schemaBlock(c.schema), '');
    }
  }

  lines.push('## Schemas', '');
  for (const [name, schema] of Object.entries<Json>(doc.components?.schemas ?? {})) {
    lines.push(`<a id="${anchor(name)}"></a>`, '', `### ${name}`, '', cell(schema.description), '');
    lines.push(...schemaBlock(schema), '');
  }
  return `${lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
};

export const REFERENCE_FILE = fileURLToPath(new URL('../docs/http-reference.md', import.meta.url));

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(REFERENCE_FILE, renderReference(buildOpenApi()));
  console.log(`wrote ${REFERENCE_FILE}`);
}
