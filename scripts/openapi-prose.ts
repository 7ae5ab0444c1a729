/**
 * Where an OpenAPI document lacks prose: every operation, parameter, schema property and tag
 * without a description, as readable paths. `npm test` requires the list to be empty.
 */
// biome-ignore lint/suspicious/noExplicitAny: an OpenAPI document walked generically
type Json = any;

export const undescribed = (doc: Json): string[] => {
  const missing: string[] = [];
  const schemas: Record<string, Json> = doc.components?.schemas ?? {};
  const seen = new Set<Json>();
  const walk = (schema: Json, where: string) => {
    if (!schema || typeof schema !== 'object' || seen.has(schema)) return;
    seen.add(schema);
    if (schema.$ref) return; // a named schema is walked once, under components
    for (const [name, property] of Object.entries<Json>(schema.properties ?? {})) {
      const described =
        property?.description || (property?.$ref && schemas[property.$ref.split('/').pop()]?.description);
      if (!described) missing.push(`${where}.${name}`);
      walk(property, `${where}.${name}`);
    }
    for (const key of ['items', 'additionalProperties'] as const)
      if (typeof schema[key] === 'object') walk(schema[key], `${where}[]`);
    for (const key of ['anyOf', 'oneOf', 'allOf'] as const)
      for (const [i, s] of (schema[key] ?? []).entries()) walk(s, `${where}<${i}>`);
  };
  for (const [name, schema] of Object.entries(schemas)) {
    if (!schema.description) missing.push(`#/components/schemas/${name}`);
    walk(schema, name);
  }
  for (const [path, item] of Object.entries<Json>(doc.paths ?? {}))
    for (const [method, op] of Object.entries<Json>(item)) {
      const id = `${method.toUpperCase()} ${path}`;
      if (!op.description) missing.push(`${id}: operation`);
      for (const p of op.parameters ?? [])
        if (!p.description) missing.push(`${id}: ${p.in} parameter ${p.name}`);
      const bodies = Object.values<Json>(op.requestBody?.content ?? {});
      for (const b of bodies) walk(b.schema, `${id} body`);
      for (const [status, r] of Object.entries<Json>(op.responses ?? {}))
        for (const c of Object.values<Json>(r.content ?? {})) walk(c.schema, `${id} ${status}`);
    }
  for (const tag of doc.tags ?? [])
    if (!tag.description || / operations$/.test(tag.description)) missing.push(`tag ${tag.name}`);
  return missing;
};
