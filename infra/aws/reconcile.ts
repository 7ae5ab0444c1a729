import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { FunctionEnvironment } from '../../functions/commons/facts.ts';
import type { Data } from './data.ts';
import { deadLetterQueue } from './failure-queue.ts';
import { ServiceFunction } from './service-function.ts';

const ENTRY = fileURLToPath(new URL('../../functions/workflows/reconcile.ts', import.meta.url));

export interface ReconcileProps {
  readonly data: Data;
  /** The state machines whose executions record an outcome (deployment, approval, registration). */
  readonly stateMachines: readonly sfn.IStateMachine[];
  readonly environment: Readonly<FunctionEnvironment>;
}

/**
 * Nothing stays locked: an EventBridge rule on Step Functions' "Execution Status Change" events for
 * the deployment, approval and registration state machines, status FAILED, ABORTED or TIMED_OUT
 * (StopExecution, a runtime error, the execution timeout, a task that could not record its
 * outcome), invokes the reconcile function, which frees the deployment's target and records the
 * outcome with its audit event, or fails a registration's pending version
 * (functions/workflows/reconcile.ts). It reads and writes the table and nothing else; events
 * that keep failing land in a dead-letter queue.
 */
export class Reconcile extends Construct {
  readonly function: ServiceFunction;
  readonly rule: events.Rule;
  readonly deadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: ReconcileProps) {
    super(scope, id);
    this.deadLetters = deadLetterQueue(
      this,
      'DeadLetters',
      'This queue is itself the dead-letter queue of the reconcile function and its rule; an operator ' +
        'looks at the deployment or approval an event names and sends it to the function again.',
    );
    this.function = new ServiceFunction(this, 'Function', {
      entry: ENTRY,
      handler: 'reconcile',
      description:
        'Steward: records the outcome of a workflow execution that ended without one, frees its target',
      environment: props.environment,
      timeout: Duration.seconds(25),
      invocation: 'eventbridge',
      deadLetterQueue: this.deadLetters,
    });
    props.data.grantItemReadWrite(this.function, []);

    this.rule = new events.Rule(this, 'ExecutionEnded', {
      description:
        'Steward: deployment, approval and registration executions that ended FAILED, ABORTED or TIMED_OUT',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: ['FAILED', 'ABORTED', 'TIMED_OUT'],
          stateMachineArn: props.stateMachines.map((machine) => machine.stateMachineArn),
        },
      },
    });
    this.rule.addTarget(
      new targets.LambdaFunction(this.function.fn, {
        deadLetterQueue: this.deadLetters,
        retryAttempts: 8,
        maxEventAge: Duration.hours(24),
      }),
    );
  }
}
