import { type Cell, FAULT_MATRIX_SYSTEM, formatCell, runFaultMatrix } from '#local/fault-matrix';
import { startLocalSystem } from '#local/system';
import { heading, marker, print, type TargetResult } from './report.ts';

/**
 * The fault matrix (infra/local/fault-matrix.ts) on a local system of its own: how many cells
 * (Task state x fault) the workflows' paths have, and how many hold. The target is every one.
 */
export interface FaultMatrix {
  cells: number;
  held: number;
  states: number;
  paths: number;
  notHeld: Cell[];
}

export const measureFaultMatrix = async (): Promise<FaultMatrix> => {
  const system = await startLocalSystem(FAULT_MATRIX_SYSTEM);
  try {
    const { cells, paths } = await runFaultMatrix(system);
    return {
      cells: cells.length,
      held: cells.filter((c) => c.held).length,
      states: new Set(cells.map((c) => c.state)).size,
      paths: paths.length,
      notHeld: cells.filter((c) => !c.held),
    };
  } finally {
    await system.close();
  }
};

export const printFaultMatrix = (m: FaultMatrix): void => {
  print(heading('Fault matrix (infra/local/fault-matrix.ts)'));
  print(`  faultMatrix cells=${m.cells} held=${m.held} states=${m.states} paths=${m.paths}`);
  for (const c of m.notHeld) print(`  ${formatCell(c)}`);
};

export const faultMatrixTargets = (m: FaultMatrix): TargetResult[] => [
  {
    figure: `fault matrix: cells held (${m.states} Task states, ${m.paths} paths)`,
    value: `${m.held}/${m.cells}`,
    target: `${m.cells}/${m.cells}`,
    marker: marker(m.held === m.cells),
  },
];
