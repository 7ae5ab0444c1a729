/**
 * The drift workflow's tasks (statemachines/drift.asl.json): the dispatcher that claims the
 * monitors due now, one monitor's run, and the Distributed Map's child and reducer. The use case
 * itself, which the monitoring API's "run now" calls too, is functions/services/drift-runs.ts.
 */
export { due, reduceShards, run, summariseBatch } from '#services/drift-runs';
