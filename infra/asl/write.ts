import { writeFileSync } from 'node:fs';
import { render } from './asl.ts';
import { MACHINES } from './machines.ts';

/** `npm run asl`: writes `statemachines/<name>.asl.json` from the builder's machines. */
for (const [name, machine] of Object.entries(MACHINES)) {
  const file = new URL(`../../statemachines/${name}.asl.json`, import.meta.url);
  writeFileSync(file, render(machine));
  console.log(`wrote statemachines/${name}.asl.json`);
}
