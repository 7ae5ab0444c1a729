import { startLocalSystem } from './system.ts';

/**
 * `npm start`: the whole of Steward on one port, state under STEWARD_DATA_DIR (default .steward).
 */
const port = Number(process.env.PORT ?? 4000);
const dataDir = process.env.STEWARD_DATA_DIR ?? '.steward';
const host = process.env.HOST ?? '127.0.0.1';

/**
 * One line per request, written once per turn of the event loop: stdout to a pipe is a blocking
 * write on Linux, and a write per request let a slow reader stall every request behind it.
 */
let pending: string[] = [];
const flush = () => {
  if (pending.length === 0) return;
  const lines = pending.join('');
  pending = [];
  process.stdout.write(lines);
};
const log = (line: string) => {
  if (pending.length === 0) setImmediate(flush);
  pending.push(`${new Date().toISOString()} ${line}\n`);
};

const system = await startLocalSystem({
  port,
  s3Port: Number(process.env.S3_PORT ?? port + 1),
  dataDir,
  host,
  log,
});
const url = `http://localhost:${port}`;
// The console is built at start-up (esbuild, well under a second), so its first page is quick.
await system.prebuildConsole().catch((error: Error) => log(`console build failed: ${error.message}`));
process.stdout.write(
  [
    `Steward local mode is serving ${url}`,
    `  state:     ${system.dataDir} (DynamoDB, S3 objects, events; delete it to start afresh)`,
    `  S3:        ${system.s3.endpoint} (presigned upload and download URLs point here)`,
    `  console:   ${url}/console (pick who you act as at the top right)`,
    `  try:       curl ${url}/v1/health`,
    `  identity:  send X-Steward-Principal: <name> (default local-user; 'admin' and 'auditor' are special)`,
    '',
  ].join('\n'),
);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  flush();
  process.stdout.write(`${signal}: stopping\n`);
  await system.close();
  process.stdout.write('stopped\n');
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
