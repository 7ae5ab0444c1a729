import { buildConsole } from '../../console/build.ts';

/** `node --import tsx infra/aws/console-build.ts <outDir>`: the console's files, for the CDK asset. */
const outDir = process.argv[2];
if (!outDir) throw new Error('usage: console-build.ts <outDir>');
await buildConsole(outDir);
