import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** How the capture is split into objects: their names, and how many records each holds. */
export interface CaptureSplit {
  files: readonly string[];
  perFile: number;
}

/**
 * A small reference CSV and one hour of SageMaker data capture, with `spend` shifted up by 20 and
 * a new `plan` category (`enterprise`), `tenure` unchanged: two drifted features, one not. The
 * integration tests read one object of 200 records; the fault matrix splits its window over three
 * objects, one a Distributed Map child each.
 */
export const writeDriftData = async (
  dir: string,
  at: Date,
  split: CaptureSplit = { files: ['c.jsonl'], perFile: 200 },
) => {
  const iso = at.toISOString();
  const hour = join(
    dir,
    'capture',
    'AllTraffic',
    iso.slice(0, 4),
    iso.slice(5, 7),
    iso.slice(8, 10),
    iso.slice(11, 13),
  );
  await mkdir(hour, { recursive: true });
  const reference = ['tenure,spend,plan'];
  for (let i = 0; i < 200; i++) reference.push(`${i % 10},${40 + (i % 20)},${i % 3 ? 'basic' : 'pro'}`);
  await writeFile(join(dir, 'reference.csv'), `${reference.join('\n')}\n`);
  for (const [part, file] of split.files.entries()) {
    const capture = Array.from({ length: split.perFile }, (_, j) => {
      const i = part * split.perFile + j;
      return JSON.stringify({
        captureData: {
          endpointInput: {
            observedContentType: 'text/csv',
            mode: 'INPUT',
            data: `${i % 10},${60 + (i % 20)},${i % 2 ? 'basic' : 'enterprise'}`,
            encoding: 'CSV',
          },
          endpointOutput: { observedContentType: 'text/csv', mode: 'OUTPUT', data: '0.5', encoding: 'CSV' },
        },
        eventMetadata: { eventId: `e-${i}`, inferenceTime: new Date(at.getTime() + i * 100).toISOString() },
        eventVersion: '0',
      });
    });
    await writeFile(join(hour, file), `${capture.join('\n')}\n`);
  }
  return {
    reference: pathToFileURL(join(dir, 'reference.csv')).href,
    capture: pathToFileURL(join(dir, 'capture')).href,
    window: {
      from: new Date(at.getTime() - 60_000).toISOString(),
      to: new Date(at.getTime() + 60_000).toISOString(),
    },
  };
};
