import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import type { Bundle } from './bundles.ts';
import { EMPTY } from './bundles.ts';
import { heading, marker, median, ms, print, type TargetResult, table } from './report.ts';

/**
 * The cold import of each bundle: a fresh `node` process that imports the bundle and exits,
 * timed from spawn to exit (what a cold start pays: runtime start and module init), as a ratio to
 * the same for a bundle of an empty handler. Rounds alternate the bundles, so machine noise falls
 * on all of them alike. The child also reports the import alone, timed inside it.
 */
export const COLD_RATIO_LIMIT = 3;

export interface ColdImport {
  fn: string;
  runs: number;
  wallMedianMs: number;
  wallMinMs: number;
  wallMaxMs: number;
  importMedianMs: number;
  /** Median wall time over the empty bundle's. */
  ratio: number;
  importRatio: number;
  marker: 'PASS' | 'OVER' | undefined;
}

// Node start-up until user code, then the import alone; one JSON line on stdout.
const CHILD = [
  'const boot = performance.now();',
  'await import(process.env.BENCH_IMPORT);',
  'const done = performance.now();',
  'process.stdout.write(JSON.stringify({ boot, import: done - boot }));',
].join(' ');

/** Environment of a Lambda function whose module init must not reach AWS. */
const childEnv = (base: NodeJS.ProcessEnv, file: string): NodeJS.ProcessEnv => ({
  PATH: base.PATH,
  HOME: base.HOME,
  AWS_REGION: 'us-east-1',
  POWERTOOLS_SERVICE_NAME: 'steward',
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_TRACE_ENABLED: 'false',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  BENCH_IMPORT: pathToFileURL(file).href,
});

interface Run {
  wallMs: number;
  importMs: number;
  stderr: string;
}

const once = (file: string, base: NodeJS.ProcessEnv): Promise<Run> =>
  new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    let exitedAt = started;
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
      env: childEnv(base, file),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', () => {
      exitedAt = process.hrtime.bigint();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`importing ${file} exited with ${code}: ${err.trim().slice(0, 2000)}`));
        return;
      }
      try {
        const reported = JSON.parse(out) as { import: number };
        resolve({ wallMs: Number(exitedAt - started) / 1e6, importMs: reported.import, stderr: err.trim() });
      } catch {
        reject(new Error(`importing ${file} printed no timing: ${out.slice(0, 500)} ${err.slice(0, 500)}`));
      }
    });
  });

export const measureColdImports = async (
  bundles: readonly Bundle[],
  options: { base: NodeJS.ProcessEnv; warmups: number; runs: number },
): Promise<{ results: ColdImport[]; stderr: string[] }> => {
  const stderr = new Set<string>();
  const runs = new Map<string, Run[]>(bundles.map((b) => [b.fn, []]));
  const rounds = options.warmups + options.runs;
  for (let round = 0; round < rounds; round++) {
    // Rotate the order each round: no bundle always runs first, or always after the same one.
    const order = bundles.map((_, i) => bundles[(i + round) % bundles.length]!);
    for (const bundle of order) {
      const run = await once(bundle.file, options.base);
      if (run.stderr) stderr.add(`${bundle.fn}: ${run.stderr.slice(0, 500)}`);
      if (round >= options.warmups) runs.get(bundle.fn)!.push(run);
    }
  }
  const empty = runs.get(EMPTY)!;
  const emptyWall = median(empty.map((r) => r.wallMs));
  const emptyImport = median(empty.map((r) => r.importMs));
  const results = bundles.map((b): ColdImport => {
    const mine = runs.get(b.fn)!;
    const walls = mine.map((r) => r.wallMs);
    const wallMedianMs = median(walls);
    const ratio = wallMedianMs / emptyWall;
    return {
      fn: b.fn,
      runs: mine.length,
      wallMedianMs,
      wallMinMs: Math.min(...walls),
      wallMaxMs: Math.max(...walls),
      importMedianMs: median(mine.map((r) => r.importMs)),
      ratio,
      importRatio: median(mine.map((r) => r.importMs)) / emptyImport,
      marker: b.fn === EMPTY ? undefined : marker(ratio <= COLD_RATIO_LIMIT),
    };
  });
  return { results, stderr: [...stderr] };
};

export const coldImportTargets = (results: readonly ColdImport[]): TargetResult[] =>
  results
    .filter((r) => r.marker !== undefined)
    .map((r) => ({
      figure: `${r.fn} cold import (process spawn to exit)`,
      value: `${r.ratio.toFixed(2)}x empty`,
      target: `<= ${COLD_RATIO_LIMIT}x`,
      marker: r.marker!,
    }));

export const printColdImports = (
  results: readonly ColdImport[],
  stderr: readonly string[],
  options: { warmups: number; runs: number },
  otherLoad: string,
): void => {
  print(heading('Cold import of each bundle in a fresh Node process'));
  print(
    `  ${process.execPath} ${process.version}; ${options.runs} runs per bundle after ${options.warmups} warm-up rounds,`,
  );
  print('  bundles alternated round by round. "process" = spawn to exit (runtime start + module init);');
  print('  "import" = performance.now() around `await import(bundle)` inside the child (extra information).');
  print(`  During this section ${otherLoad}.`);
  print();
  print(
    table(
      [
        { title: 'bundle' },
        { title: 'process median', align: 'right' },
        { title: 'min', align: 'right' },
        { title: 'max', align: 'right' },
        { title: 'ratio', align: 'right' },
        { title: 'target', align: 'right' },
        { title: '' },
        { title: 'import median', align: 'right' },
        { title: 'import ratio', align: 'right' },
      ],
      results.map((r) => [
        r.fn,
        ms(r.wallMedianMs),
        ms(r.wallMinMs),
        ms(r.wallMaxMs),
        `${r.ratio.toFixed(2)}x`,
        r.marker === undefined ? '-' : `<= ${COLD_RATIO_LIMIT}x`,
        r.marker ?? '',
        ms(r.importMedianMs),
        `${r.importRatio.toFixed(1)}x`,
      ]),
    ),
  );
  for (const line of stderr) print(`\n  ! a child wrote to stderr while importing ${line}`);
};
