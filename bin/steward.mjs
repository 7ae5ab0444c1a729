#!/usr/bin/env node
// The `steward` command. In a clone it runs the TypeScript sources through tsx; a packed install
// runs the bundle `npm pack` builds (dist/steward.mjs).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const bundle = fileURLToPath(new URL('../dist/steward.mjs', import.meta.url));
let main;
if (existsSync(bundle)) ({ main } = await import(bundle));
else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../cli/main.ts'));
}
process.exitCode = await main(process.argv);
