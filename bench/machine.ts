import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/**
 * How busy the machine was with work that is not the bench's, during a timed section: all CPU
 * time the kernel counted (/proc/stat) minus the time of this process and of the children it
 * reaped (/proc/self/stat), which by the end of a section include the servers and the import
 * probes it started. Linux only; elsewhere the figure is simply not shown.
 */
const TICKS_PER_SECOND = 100;

const machineBusySeconds = (): number => {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
};

const ownSeconds = (): number => {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // Fields after the command name (which may hold spaces): utime is field 14, cstime field 17.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number);
  return ((utime ?? 0) + (stime ?? 0) + (cutime ?? 0) + (cstime ?? 0)) / TICKS_PER_SECOND;
};

export interface OtherLoad {
  /** CPU seconds other processes used, per second of the section, over all cores (0..1). */
  share: number;
  cpuSeconds: number;
}

/** Start measuring; call the result at the end of the section. */
export const otherLoadMeter = (): (() => OtherLoad | undefined) => {
  try {
    const busy0 = machineBusySeconds();
    const own0 = ownSeconds();
    const t0 = performance.now();
    return () => {
      const seconds = (performance.now() - t0) / 1000;
      const cpuSeconds = Math.max(0, machineBusySeconds() - busy0 - (ownSeconds() - own0));
      return { cpuSeconds, share: cpuSeconds / (seconds * availableParallelism()) };
    };
  } catch {
    return () => undefined;
  }
};

export const describeOtherLoad = (load: OtherLoad | undefined): string =>
  load === undefined
    ? 'other processes: not measured on this platform'
    : `other processes used ${load.cpuSeconds.toFixed(1)} CPU-s meanwhile (${(load.share * 100).toFixed(0)}% of the machine)${
        load.share > 0.1 ? ' - the timings are inflated; run again on an idle machine' : ''
      }`;
