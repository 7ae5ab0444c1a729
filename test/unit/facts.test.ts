import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { EnvSchema, S3_PREFIX } from '#commons/facts';

/**
 * The facts functions/ and infra/ share (functions/commons/facts.ts) are written there only: a
 * rename there must reach every use, or break the build or this test. Literals are found in the
 * syntax tree (strings and template texts, not comments). An environment variable's name in a
 * string, or a read of `process.env` by a name the functions' schema has, escapes the type checker;
 * so does an S3 prefix written out, whose IAM grant would then no longer cover the key on AWS.
 */
const root = join(import.meta.dirname, '..', '..');
const FACTS = 'functions/commons/facts.ts';
/** The one reader of the environment the schema describes. */
const CONFIG = 'functions/commons/config.ts';

const sources = (folder: string): string[] =>
  readdirSync(join(root, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.ts$/.test(entry.name) && !entry.name.endsWith('.d.ts'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .filter((path) => !path.startsWith('functions/console/'))
    .sort();

interface Found {
  file: string;
  line: number;
  text: string;
}

/** Every string literal's and template piece's text, and every `process.env` name read. */
const scan = (file: string) => {
  const text = readFileSync(join(root, file), 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const strings: Found[] = [];
  const envReads: Found[] = [];
  const at = (node: ts.Node) => source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
  const isProcessEnv = (node: ts.Node) =>
    ts.isPropertyAccessExpression(node) &&
    ts.isIdentifier(node.expression) &&
    node.expression.text === 'process' &&
    node.name.text === 'env';
  const visit = (node: ts.Node) => {
    if (
      ts.isStringLiteral(node) ||
      ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateHead(node) ||
      ts.isTemplateMiddle(node) ||
      ts.isTemplateTail(node)
    ) {
      // An import specifier names a module, not a fact.
      if (!ts.isImportDeclaration(node.parent) && !ts.isExportDeclaration(node.parent))
        strings.push({ file, line: at(node), text: node.text });
    }
    if (ts.isPropertyAccessExpression(node) && isProcessEnv(node.expression))
      envReads.push({ file, line: at(node), text: node.name.text });
    if (ts.isElementAccessExpression(node) && isProcessEnv(node.expression)) {
      const key = node.argumentExpression;
      if (ts.isStringLiteralLike(key)) envReads.push({ file, line: at(node), text: key.text });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { strings, envReads };
};

const files = [...sources('functions'), ...sources('infra')].filter((file) => file !== FACTS);
const scanned = files.map(scan);
const strings = scanned.flatMap((s) => s.strings);
const where = (found: Found[]) => found.map((f) => `${f.file}:${f.line} ${JSON.stringify(f.text)}`);

const envNames = Object.keys(EnvSchema.shape);

describe('shared facts', () => {
  it('scans the sources it should (a sanity check on the scanner itself)', () => {
    expect(files).toContain('functions/services/drift-runs.ts');
    expect(files).toContain('infra/aws/drift.ts');
    expect(files).toContain(CONFIG);
    expect(strings.length).toBeGreaterThan(1000);
    // The scanner finds what it looks for: this file's own literal would count if it were scanned.
    const self = scan('test/unit/facts.test.ts');
    expect(self.strings.some((s) => s.text === FACTS)).toBe(true);
  });

  it('no environment variable of the functions is named in a string outside facts.ts', () => {
    const pattern = new RegExp(`\\b(${envNames.join('|')})\\b`);
    expect(where(strings.filter((s) => pattern.test(s.text)))).toEqual([]);
  });

  it('the functions read their environment only through config.ts, by the schema', () => {
    const reads = scanned.flatMap((s) => s.envReads).filter((r) => r.file.startsWith('functions/'));
    expect(where(reads.filter((r) => envNames.includes(r.text) && r.file !== CONFIG))).toEqual([]);
  });

  it('no S3 key prefix is written out beside facts.ts', () => {
    // A prefix at the start of a literal or of a word in it: `drift-shards/…`, "under capture/ of".
    const prefixes = Object.values(S3_PREFIX).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    const pattern = new RegExp(`(^|[\\s('"])(${prefixes.join('|')})`);
    expect(where(strings.filter((s) => pattern.test(s.text)))).toEqual([]);
  });
});
