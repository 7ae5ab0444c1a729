import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * The console as static files: `index.html`, one JS bundle and one stylesheet, nothing from a
 * CDN. Local mode serves them at /console; the CDK app deploys them to S3 with a `config.json`
 * beside index.html. The page loads no inline script or style, so a strict CSP fits it.
 */
const here = dirname(fileURLToPath(import.meta.url));

export const CONSOLE_ENTRY = join(here, 'src', 'main.tsx');

const indexHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Steward console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="./app.css">
<script type="module" src="./app.js"></script>
</head>
<body>
<div id="app"><p class="loading">Loading the Steward console…</p></div>
<noscript>The Steward console needs JavaScript. The same facts are in the API: see /docs.</noscript>
</body>
</html>
`;

export const buildConsole = async (outDir: string): Promise<void> => {
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: [CONSOLE_ENTRY],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    outfile: join(outDir, 'app.js'),
    minify: true,
    sourcemap: true,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: join(here, 'tsconfig.json'),
    legalComments: 'linked',
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  await copyFile(join(here, 'src', 'app.css'), join(outDir, 'app.css'));
  await writeFile(join(outDir, 'index.html'), indexHtml);
};
