import { approval } from './approval.ts';
import type { StateMachine } from './asl.ts';
import { deployment } from './deployment.ts';
import { drift } from './drift.ts';
import { registration } from './registration.ts';

/** Every state machine of `statemachines/`, by file name (`<name>.asl.json`). */
export const MACHINES: Record<string, StateMachine> = { approval, deployment, drift, registration };
