import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { lambdaBuild } from '../../infra/aws/bundling.ts';
import { ensureData, FEATURES } from './generate.ts';

/**
 * The drift bench: `tsx bench/drift/run.ts` (also called from the main bench).
 *
 * Over the same capture files, in the same run, one after the other, each in its own process:
 * - TypeScript: bench/drift/job.ts bundled with esbuild and run with node, in the service's two
 *   steps: the baseline profile of the reference CSV built and stored once (what
 *   `PUT .../baseline` does), then drift runs with 1 worker (the main thread) and with 2 worker
 *   threads, each reading the stored profile as a run reads it from S3: listObjects and
 *   summariseWithWorkers over the SageMaker capture folder with the window, driftReport;
 * - pandas + scipy: bench/drift/drift_pandas.py with Debian's /usr/bin/python3, which profiles
 *   the reference and the window in one go (so it is compared with the TypeScript profile and
 *   1-worker run together).
 * Each is timed from spawn to exit (wall clock, start-up included) with its peak RSS
 * (`/usr/bin/time -v`, else VmHWM polled from /proc). Throughput = capture bytes / wall time.
 * Targets: TypeScript at least 2x the pandas + scipy throughput; 2 workers at least 1.7x the
 * throughput of 1; TypeScript peak RSS under 300 MiB. The figures never fail the process; only a crash does.
 *
 * DRIFT_BENCH_MB: capture size in MiB (default 1024; 100 for a quick run). The data is generated
 * once per size from a fixed seed under .bench/drift/ (see generate.ts). DRIFT_BENCH_PANDAS=0 skips
 * the pandas + scipy run (about a minute) when only the TypeScript figures are wanted.
 * DRIFT_BENCH_RUNS: runs of each worker count, alternated; the median stands (default 5).
 * DRIFT_WORKER_* (the drift job's worker tunables, functions/commons/facts.ts) pass through to the
 * job, to try other settings.
 */
const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const benchDir = join(root, '.bench', 'drift');
const PYTHON = '/usr/bin/python3';
const TIME = '/usr/bin/time';
const RATIO_TARGET = 2;
const WORKERS_RATIO_TARGET = 1.7;
const MEMORY_TARGET_MIB = 300;
/** Above this 1-minute load average, wall-clock ratios say more about the others than about the job. */
const QUIET_LOAD = 2.5;
const CHILD_TIMEOUT_MS = 20 * 60_000;

const print = (line = '') => process.stdout.write(`${line}\n`);
const note = (line: string) => print(`  ... ${line}`);

interface Measured {
  wallSeconds: number;
  cpuSeconds: number | undefined;
  peakMiB: number | undefined;
  exitCode: number | null;
  stderr: string;
}

/** Runs a command to its end, measuring wall time and peak RSS. */
const measure = (command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Measured> =>
  new Promise((done, fail) => {
    const timed = existsSync(TIME);
    const started = performance.now();
    const child = timed
      ? spawn(TIME, ['-v', command, ...args], { env, stdio: ['ignore', 'inherit', 'pipe'] })
      : spawn(command, args, { env, stdio: ['ignore', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      stderr += text;
    });
    let polledKb = 0;
    const poll = timed
      ? undefined
      : setInterval(() => {
          readFile(`/proc/${child.pid}/status`, 'utf8')
            .then((status) => {
              const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
              polledKb = Math.max(polledKb, kb);
            })
            .catch(() => undefined);
        }, 25);
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.on('error', fail);
    child.on('close', (exitCode) => {
      const wallSeconds = (performance.now() - started) / 1000;
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      let peakMiB: number | undefined = polledKb > 0 ? polledKb / 1024 : undefined;
      let cpuSeconds: number | undefined;
      if (timed) {
        const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1];
        if (kb) peakMiB = Number(kb) / 1024;
        const user = /User time \(seconds\): ([\d.]+)/.exec(stderr)?.[1];
        const system = /System time \(seconds\): ([\d.]+)/.exec(stderr)?.[1];
        if (user && system) cpuSeconds = Number(user) + Number(system);
        stderr = stderr.split('\n\tCommand being timed:')[0] ?? stderr;
      }
      done({ wallSeconds, cpuSeconds, peakMiB, exitCode, stderr });
    });
  });

interface Phases {
  processStarted: number;
  loaded: number;
  baselined: number;
  listed: number;
  shards: {
    thread: string;
    objects: number;
    bytes: number;
    spawned: number;
    loaded: number;
    ready: number;
    summarised: number;
    received: number;
    cpu?: number;
  }[];
  merged: number;
  reported: number;
  /** CPU seconds of the whole process (every thread, ended ones included) and of its main thread */
  cpu?: { process: number; main?: number };
}

/**
 * Where a job's wall time went, in seconds from its process start: module loading, the
 * baseline, the listing, each shard (worker start-up, reading, the summary handed over), the
 * merge, the report; and how long each thread waited for the last shard (imbalance).
 */
const phaseLines = (name: string, phases: Phases, wallSeconds: number): string[] => {
  const at = (t: number) => ((t - phases.processStarted) / 1000).toFixed(2);
  const span = (a: number, b: number) => ((b - a) / 1000).toFixed(2);
  const lastReceived = Math.max(...phases.shards.map((s) => s.received));
  const lines = [
    `${name}: modules loaded ${at(phases.loaded)}, stored baseline read ${span(phases.loaded, phases.baselined)} s, listing ${span(phases.baselined, phases.listed)} s (at ${at(phases.listed)})`,
  ];
  phases.shards.forEach((s, i) => {
    const mib = s.bytes / 2 ** 20;
    const cpu =
      s.cpu !== undefined
        ? `, CPU ${s.cpu.toFixed(2)} s = ${(mib / s.cpu).toFixed(1)} MiB per CPU-second`
        : '';
    lines.push(
      `  shard ${i} (${s.thread}, ${s.objects} objects or parts, ${mib.toFixed(0)} MiB): start-up ${span(s.spawned, s.loaded)} s (at ${at(s.loaded)}), reading ${at(s.ready)}..${at(s.summarised)} = ${span(s.ready, s.summarised)} s (${(mib / ((s.summarised - s.ready) / 1000)).toFixed(1)} MiB/s${cpu}), handed over ${span(s.summarised, s.received)} s, idle before the last shard ${span(s.received, lastReceived)} s`,
    );
  });
  lines.push(
    `  merge and figures (shared by the threads) ${span(lastReceived, phases.merged)} s, report ${span(phases.merged, phases.reported)} s (at ${at(phases.reported)}), then writing and exit: ${(wallSeconds - (phases.reported - phases.processStarted) / 1000).toFixed(2)} s`,
  );
  const cpu = phases.cpu;
  if (cpu?.main !== undefined) {
    // What the reading threads did not spend reading: start-up, baseline, merge, and the threads
    // no shard runs on (V8's garbage-collection helpers, libuv's file reads), which run on a core
    // the 1-worker run leaves free but take from the readers when every core reads.
    const workers = phases.shards.filter((s) => s.thread === 'worker');
    const reading = workers.reduce((total, s) => total + (s.cpu ?? 0), 0);
    lines.push(
      `  CPU ${cpu.process.toFixed(2)} s in all: main thread ${cpu.main.toFixed(2)} s${workers.length > 0 ? `, worker threads reading ${reading.toFixed(2)} s` : ''}, the rest (worker start-up and merge, GC and I/O helper threads) ${(cpu.process - cpu.main - reading).toFixed(2)} s`,
    );
  }
  return lines;
};

const pandasMissing = (): string | undefined => {
  if (!existsSync(PYTHON)) return `${PYTHON} is not installed`;
  const check = spawnSync(PYTHON, ['-c', 'import pandas, numpy, scipy'], { encoding: 'utf8' });
  if (check.status !== 0)
    return `${PYTHON} cannot import pandas, numpy and scipy (apt-get install python3-pandas python3-scipy): ${check.stderr.trim().split('\n').pop()}`;
  return undefined;
};

const fixed = (x: number | undefined, digits = 1): string => (x === undefined ? 'n/a' : x.toFixed(digits));
const pad = (text: string, width: number) => text.padStart(width);

interface Figures {
  psi: number | null;
  jsDistance: number | null;
  missingShare: number;
  chiSquare?: number;
  ksStatistic?: number;
}

/** Largest differences between the TypeScript report and the pandas figures, by statistic. */
const agreement = (ts: Record<string, Figures>, py: Record<string, Figures>) => {
  const worst: Record<string, number> = {
    psi: 0,
    jsDistance: 0,
    missingShare: 0,
    chiSquare: 0,
    ksStatistic: 0,
  };
  for (const [name, a] of Object.entries(ts)) {
    const b = py[name];
    if (!b) continue;
    for (const key of Object.keys(worst) as (keyof Figures)[]) {
      const x = a[key];
      const y = b[key];
      if (typeof x === 'number' && typeof y === 'number')
        worst[key] = Math.max(worst[key]!, Math.abs(x - y) / Math.max(1, Math.abs(y)));
    }
  }
  return worst;
};

const main = async () => {
  const mb = Number(process.env.DRIFT_BENCH_MB ?? 1024);
  if (!Number.isInteger(mb) || mb < 1)
    throw new Error('DRIFT_BENCH_MB must be a positive whole number of MiB');
  print(`Steward drift bench - ${new Date().toISOString()}`);
  print(
    `node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown cpu'}), load average ${loadavg()[0]!.toFixed(2)} (1 min)`,
  );
  const data = await ensureData(benchDir, mb, note);
  const window = { from: data.from, to: data.to };
  print(
    `data: ${(data.captureBytes / 2 ** 20).toFixed(0)} MiB of SageMaker capture JSON Lines in ${data.captureFiles} files (${data.lines} lines, CSV-encoded, ${FEATURES.length} features + prediction), reference CSV of 50,000 rows; window ${window.from} .. ${window.to}`,
  );

  note('bundling bench/drift/job.ts with esbuild, as the Lambda functions are bundled');
  const jobDir = join(benchDir, 'job');
  const jobFile = join(jobDir, 'index.mjs');
  // The Lambda bundles' settings (infra/aws/bundling.ts: minified, the SDK's ESM builds, the
  // aliases, split at import()), so that the job and its worker threads load what a drift run on
  // Lambda loads; only the target is this machine's Node.
  await build({
    ...lambdaBuild({ root, entry: join(root, 'bench', 'drift', 'job.ts'), outdir: jobDir, sourcemap: false }),
    target: `node${process.versions.node.split('.')[0]}`,
    logLevel: 'warning',
  });
  const args = [data.reference, data.capture, window.from, window.to];
  const tsOut = join(benchDir, 'ts-report.json');
  const pyOut = join(benchDir, 'pandas-figures.json');
  const loadBefore = loadavg()[0]!;
  // The drift tunables (DRIFT_WORKER_YOUNG_MB, ...) pass through, to try other settings.
  const tunables = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => name.startsWith('DRIFT_WORKER_')),
  );
  const env = {
    PATH: process.env.PATH,
    STEWARD_MODE: 'local',
    TABLE_NAME: 'steward-drift-bench',
    ...tunables,
  };

  note('building the baseline profile of the reference CSV (once, as PUT .../baseline does)');
  const baselineFile = join(benchDir, 'baseline.json');
  const profiled = await measure(
    process.execPath,
    [jobFile, 'baseline', data.reference, [...FEATURES].join(','), baselineFile],
    env,
  );
  if (profiled.exitCode !== 0)
    throw new Error(`the baseline profile failed (${profiled.exitCode}):\n${profiled.stderr}`);

  const runJob = async (workers: number) => {
    note(`running the TypeScript drift job with ${workers} worker${workers > 1 ? 's' : ''}`);
    const out = join(benchDir, `ts-report-${workers}.json`);
    const measured = await measure(
      process.execPath,
      [jobFile, 'run', baselineFile, data.capture, window.from, window.to, out, String(workers)],
      env,
    );
    if (measured.exitCode !== 0)
      throw new Error(`the TypeScript job failed (${measured.exitCode}):\n${measured.stderr}`);
    return { measured, result: JSON.parse(await readFile(out, 'utf8')) };
  };
  // This machine's wall times vary by a fifth from run to run (seen on a quiet machine: one worker
  // 14.7 to 21.4 s), so each configuration runs DRIFT_BENCH_RUNS times, alternated, and the run
  // with the median wall time stands for it.
  const runs = Number(process.env.DRIFT_BENCH_RUNS ?? 5);
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error('DRIFT_BENCH_RUNS must be a positive whole number');
  const ones: Awaited<ReturnType<typeof runJob>>[] = [];
  const twos: Awaited<ReturnType<typeof runJob>>[] = [];
  for (let i = 0; i < runs; i++) {
    ones.push(await runJob(1));
    twos.push(await runJob(2));
  }
  const median = (all: Awaited<ReturnType<typeof runJob>>[]) =>
    [...all].sort((a, b) => a.measured.wallSeconds - b.measured.wallSeconds)[Math.floor(all.length / 2)]!;
  const single = median(ones);
  const double = median(twos);
  const walls = (all: Awaited<ReturnType<typeof runJob>>[]) =>
    all.map((r) => r.measured.wallSeconds.toFixed(1)).join(', ');
  print(
    `wall times of ${runs} alternated runs: 1 worker ${walls(ones)} s; 2 workers ${walls(twos)} s (the median of each stands below)`,
  );
  const ts = single.measured;
  const tsResult = single.result;
  await writeFile(tsOut, JSON.stringify(tsResult));

  const missing = process.env.DRIFT_BENCH_PANDAS === '0' ? 'DRIFT_BENCH_PANDAS=0' : pandasMissing();
  let py: Measured | undefined;
  let pyResult:
    | { rows: number; pandas: string; numpy: string; scipy: string; features: Record<string, Figures> }
    | undefined;
  if (missing) print(`\npandas + scipy comparison skipped: ${missing}`);
  else {
    note('running the pandas + scipy script');
    py = await measure(
      PYTHON,
      [join(root, 'bench', 'drift', 'drift_pandas.py'), ...args, pyOut, FEATURES.join(',')],
      {
        PATH: process.env.PATH,
      },
    );
    if (py.exitCode !== 0) throw new Error(`the pandas script failed (${py.exitCode}):\n${py.stderr}`);
    pyResult = JSON.parse(await readFile(pyOut, 'utf8'));
  }
  const loadAfter = loadavg()[0]!;

  const mib = data.captureBytes / 2 ** 20;
  const tsRate = mib / ts.wallSeconds;
  const pyRate = py ? mib / py.wallSeconds : undefined;
  // pandas profiles the reference and the window in one go: it is compared with both TS steps.
  const withProfile = profiled.wallSeconds + ts.wallSeconds;
  const withProfileRate = mib / withProfile;
  print();
  print(`Drift job over ${mib.toFixed(0)} MiB of capture (${tsResult.records} records in the window)`);
  print(
    `${'implementation'.padEnd(16)}${pad('wall s', 9)}${pad('MiB/s', 9)}${pad('CPU s', 9)}${pad('peak RSS MiB', 14)}`,
  );
  const line = (name: string, m: Measured, rate: number) =>
    print(
      `${name.padEnd(16)}${pad(fixed(m.wallSeconds), 9)}${pad(fixed(rate), 9)}${pad(fixed(m.cpuSeconds), 9)}${pad(fixed(m.peakMiB, 0), 14)}`,
    );
  print(
    `${'TS, baseline'.padEnd(16)}${pad(fixed(profiled.wallSeconds), 9)}${pad('', 9)}${pad(fixed(profiled.cpuSeconds), 9)}${pad(fixed(profiled.peakMiB, 0), 14)}   (the reference profiled and stored, once per version)`,
  );
  line('TS, 1 worker', ts, tsRate);
  const ts2 = double.measured;
  const ts2Rate = mib / ts2.wallSeconds;
  line(`TS, ${double.result.workers} workers`, ts2, ts2Rate);
  if (py && pyRate !== undefined && pyResult) {
    line('pandas + scipy', py, pyRate);
    print(`  (pandas ${pyResult.pandas}, numpy ${pyResult.numpy}, scipy ${pyResult.scipy}, ${PYTHON})`);
  }
  print();
  const results: Record<string, unknown> = {
    at: new Date().toISOString(),
    captureMiB: mib,
    records: tsResult.records,
    baseline: { ...profiled, stderr: undefined },
    typescript: { ...ts, stderr: undefined, mibPerSecond: tsRate },
    typescript2: { ...ts2, stderr: undefined, mibPerSecond: ts2Rate, workers: double.result.workers },
    workersRatio: ts2Rate / tsRate,
    workersRatioRuns: {
      one: ones.map((r) => r.measured.wallSeconds),
      two: twos.map((r) => r.measured.wallSeconds),
    },
    phases: { one: single.result.phases, two: double.result.phases },
    loadAverage: { before: loadBefore, after: loadAfter },
  };
  if (pyRate !== undefined && py) {
    const ratio = withProfileRate / pyRate;
    print(
      `throughput ratio TypeScript (baseline + 1-worker run, ${withProfile.toFixed(1)} s) / pandas+scipy: ${ratio.toFixed(2)}x   target >= ${RATIO_TARGET}x   ${ratio >= RATIO_TARGET ? 'PASS' : 'UNDER'}`,
    );
    results.pandas = { ...py, stderr: undefined, mibPerSecond: pyRate };
    results.ratio = ratio;
  } else print(`throughput ratio: not measured (no pandas)   target >= ${RATIO_TARGET}x`);
  const workersRatio = ts2Rate / tsRate;
  // Other work on 2 cores takes from the 2-worker run what the 1-worker run did not need.
  const busiest = Math.max(loadBefore, loadAfter);
  print(
    `throughput ratio 2 workers / 1 worker: ${workersRatio.toFixed(2)}x   target >= ${WORKERS_RATIO_TARGET}x   ${workersRatio >= WORKERS_RATIO_TARGET ? 'PASS' : 'UNDER'}${busiest >= QUIET_LOAD ? `   (NOT A VALID FIGURE: load average ${busiest.toFixed(1)} >= ${QUIET_LOAD}; run again on a quiet machine)` : ''}`,
  );
  // What the CPU times say, which other work moves far less than wall times: the 1-worker run
  // lasts about as long as its main thread's CPU time (its helper threads run on the idle core),
  // the 2-worker run at least half of every thread's CPU time on 2 cores.
  const cpuOne = (single.result.phases as Phases).cpu;
  const cpuTwo = (double.result.phases as Phases).cpu;
  if (cpuOne?.main !== undefined && cpuTwo) {
    const estimate = cpuOne.main / (cpuTwo.process / 2);
    print(
      `CPU-time estimate of that ratio: 1-worker main thread ${cpuOne.main.toFixed(2)} s / (2-worker process ${cpuTwo.process.toFixed(2)} s / 2 cores) = ${estimate.toFixed(2)}x (for 2 free cores: the 2-worker run's serial phases lower it, the 1-worker run's waits for reads raise it)`,
    );
    results.cpuRatioEstimate = estimate;
  }
  // Merged sketches hold other items than one pass's: KS, its p-value and Wasserstein (and so a
  // verdict) may differ within the stated bound; every other figure must be equal.
  const unsketched = (r: { features: Record<string, unknown>[] }) =>
    JSON.stringify(
      r.features.map(
        ({ ksStatistic: _d, ksPValue: _p, wassersteinNorm: _w, drifted: _x, driftedBy: _y, ...rest }) => rest,
      ),
    );
  const same = unsketched(double.result.report) === unsketched(tsResult.report);
  print(
    `2-worker report against 1-worker: ${same ? 'equal' : 'DIFFERENT'} but for KS and Wasserstein, which ${tsResult.report.ks?.regime === 'exact' ? 'are equal too (exact regime)' : 'stay within the stated bound (sketch regime)'}`,
  );
  for (const [name, m] of [
    ['1 worker', ts],
    ['2 workers', ts2],
  ] as const) {
    const peak = m.peakMiB;
    print(
      `TypeScript peak RSS, ${name}: ${fixed(peak, 0)} MiB   target < ${MEMORY_TARGET_MIB} MiB   ${peak !== undefined && peak < MEMORY_TARGET_MIB ? 'PASS' : 'OVER'}`,
    );
  }
  if (py) print(`pandas + scipy peak RSS: ${fixed(py.peakMiB, 0)} MiB (for comparison)`);
  print('phases (seconds from the process start):');
  for (const [name, run] of [
    ['TS, 1 worker', single],
    [`TS, ${double.result.workers} workers`, double],
  ] as const)
    for (const text of phaseLines(name, run.result.phases as Phases, run.measured.wallSeconds))
      print(`  ${text}`);
  print(
    `load average (1 min) ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after: other work on the machine slows both`,
  );

  const report = tsResult.report as {
    features: (Figures & { name: string })[];
    prediction?: Figures & { name: string };
    ks?: { regime: string; statisticBound: number; exactMax: number };
  };
  const tsFigures = Object.fromEntries(
    [...report.features, ...(report.prediction ? [report.prediction] : [])].map((f) => [f.name, f]),
  );
  const drifted = report.features.filter((f) => (f as { drifted?: boolean }).drifted).map((f) => f.name);
  print(`drifted features (TypeScript report): ${drifted.join(', ') || 'none'}`);
  if (pyResult) {
    const worst = agreement(tsFigures, pyResult.features);
    print(
      `agreement with pandas + scipy (largest difference, relative above 1): PSI ${worst.psi!.toExponential(1)}, JS ${worst.jsDistance!.toExponential(1)}, missing share ${worst.missingShare!.toExponential(1)}, chi-square ${worst.chiSquare!.toExponential(1)}; KS statistic ${worst.ksStatistic!.toExponential(1)} (TypeScript KS regime ${report.ks?.regime ?? 'n/a'}, stated bound ${report.ks?.statisticBound.toExponential(1) ?? 'n/a'}; the script uses every row)`,
    );
    results.agreement = worst;
  }
  await writeFile(join(benchDir, 'results.json'), JSON.stringify(results, null, 2));
};

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
