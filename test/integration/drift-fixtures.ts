import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * A small reference CSV and one hour of SageMaker data capture, with `spend` shifted up by 20 and
 * a new `plan` category (`enterprise`), `tenure` unchanged: two drifted features, one not.
 */
export const writeDriftData = async (dir: string, at: Date) => {
  const reference = ['tenure,spend,plan'];
  for (let i = 0; i < 200; i++) reference.push(`${i % 10},${40 + (i % 20)},${i % 3 ? 'basic' : 'pro'}`);
  await writeFile(join(dir, 'reference.csv'), `${reference.join('\n')}\n`);
  const iso = at.toISOString();
  const hour = `${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(11, 13)}`;
  const capture = Array.from({ length: 200 }, (_, i) =>
    JSON.stringify({
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
    }),
  );
  await mkdir(join(dir, 'capture', 'AllTraffic', hour), { recursive: true });
  await writeFile(join(dir, 'capture', 'AllTraffic', hour, 'c.jsonl'), `${capture.join('\n')}\n`);
  return {
    reference: pathToFileURL(join(dir, 'reference.csv')).href,
    capture: pathToFileURL(join(dir, 'capture')).href,
    window: {
      from: new Date(at.getTime() - 60_000).toISOString(),
      to: new Date(at.getTime() + 60_000).toISOString(),
    },
  };
};
