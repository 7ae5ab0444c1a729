import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { render, statesOf } from '../../infra/asl/asl.ts';
import { MACHINES } from '../../infra/asl/machines.ts';

const folder = new URL('../../statemachines/', import.meta.url);

describe('statemachines/*.asl.json are the output of the builder (infra/asl, `npm run asl`)', () => {
  it('has one committed file per machine of the builder, and no other', () => {
    const files = readdirSync(folder).filter((name) => name.endsWith('.asl.json'));

    expect(files.sort()).toEqual(
      Object.keys(MACHINES)
        .map((name) => `${name}.asl.json`)
        .sort(),
    );
  });

  it.each(Object.keys(MACHINES))(
    'statemachines/%s.asl.json equals the builder output (run `npm run asl`)',
    (name) => {
      const committed = readFileSync(new URL(`${name}.asl.json`, folder), 'utf8');

      expect(committed).toBe(render(MACHINES[name]!));
    },
  );

  it.each(Object.keys(MACHINES))('%s: every Task retries by its integration policy, none by hand', (name) => {
    const tasks = [...statesOf(MACHINES[name]!)].filter(([, state]) => state.Type === 'Task');

    for (const [path, state] of tasks) {
      if (state.Type !== 'Task') continue;
      expect(state.Retry?.length, path.join('/')).toBeGreaterThan(0);
      const named = state.Retry!.flatMap((r) => r.ErrorEquals);
      // A SageMaker task never names a Lambda error, nor a Lambda task a SageMaker one.
      const service = /:::(?:aws-sdk:)?([a-z]+)/.exec(state.Resource)![1];
      const foreign = named.filter(
        (error) => !error.startsWith('States.') && error.split('.')[0]!.toLowerCase() !== service,
      );
      expect(foreign, path.join('/')).toEqual([]);
    }
  });
});
