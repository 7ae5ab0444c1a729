import cliProgress from 'cli-progress';
import type { UploadProgress } from '#client/upload';
import { bytes, duration, type Output } from './output.ts';

/**
 * The upload's progress: on a terminal, a bar per phase with bytes/s and ETA (cli-progress);
 * elsewhere (CI logs), one line at the start and end of each phase and every 25% between.
 */
export const progressReporter = (out: Output) => {
  let phase: UploadProgress['phase'] | undefined;
  let bar: cliProgress.SingleBar | undefined;
  let started = 0;
  let lastQuarter = -1;
  const label = { hash: 'sha256  ', upload: 'upload  ', commit: 'commit  ' };

  const finishBar = () => {
    bar?.stop();
    bar = undefined;
  };
  const rate = (done: number) => {
    const elapsed = (Date.now() - started) / 1000;
    const speed = elapsed > 0 ? done / elapsed : 0;
    return { speed, eta: (total: number) => (speed > 0 ? (total - done) / speed : Number.POSITIVE_INFINITY) };
  };

  const onProgress = (p: UploadProgress) => {
    if (out.json) return;
    if (p.phase !== phase) {
      finishBar();
      if (phase && !out.tty)
        out.note(`${label[phase].trim()}: done in ${duration((Date.now() - started) / 1000)}`);
      phase = p.phase;
      started = Date.now();
      lastQuarter = -1;
      if (p.phase === 'commit') {
        out.note('commit: Steward checks the stored object against the registered size and SHA-256');
        return;
      }
      if (out.tty && process.stderr.isTTY) {
        bar = new cliProgress.SingleBar(
          {
            format: `${label[p.phase]}{bar} {percentage}% | {doneH}/{totalH} | {speedH}/s | ETA {etaH}`,
            stream: process.stderr,
            hideCursor: true,
            barsize: 30,
            fps: 8,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(p.total, 0, { doneH: bytes(0), totalH: bytes(p.total), speedH: bytes(0), etaH: '--' });
      } else out.note(`${label[p.phase].trim()}: ${bytes(p.total)}`);
    }
    if (p.phase === 'commit') return;
    const { speed, eta } = rate(p.done);
    if (bar)
      bar.update(p.done, {
        doneH: bytes(p.done),
        totalH: bytes(p.total),
        speedH: bytes(Math.round(speed)),
        etaH: duration(eta(p.total)),
      });
    else {
      const quarter = p.total ? Math.floor((p.done / p.total) * 4) : 4;
      if (quarter > lastQuarter && quarter < 4 && quarter > 0) {
        lastQuarter = quarter;
        out.note(
          `${label[p.phase].trim()}: ${quarter * 25}% (${bytes(p.done)} of ${bytes(p.total)}, ${bytes(Math.round(speed))}/s, ETA ${duration(eta(p.total))})`,
        );
      }
    }
  };
  return { onProgress, stop: finishBar };
};
