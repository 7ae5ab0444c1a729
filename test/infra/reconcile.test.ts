import { beforeAll, describe, expect, it } from 'vitest';
import { actionsOf, logicalId, roleStatements, type Synthesized, synthStack } from './synth.ts';

describe('reconcile (infra/aws/reconcile.ts)', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthStack();
  });

  it('a rule on Execution Status Change, FAILED/ABORTED/TIMED_OUT, of the deployment, approval and registration machines', () => {
    const rule = s.template.toJSON().Resources[logicalId(s.stack.reconcile.rule)];

    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: {
        status: ['FAILED', 'ABORTED', 'TIMED_OUT'],
        stateMachineArn: [
          { Ref: logicalId(s.stack.deployments.stateMachine) },
          { Ref: logicalId(s.stack.approvals.stateMachine) },
          { Ref: logicalId(s.stack.registrations.stateMachine) },
        ],
      },
    });
    expect(rule.Properties.Targets).toHaveLength(1);
    const fn = s.template.toJSON().Resources[logicalId(s.stack.reconcile.function.fn)];
    expect(fn.Properties.Environment.Variables.REGISTRATION_STATE_MACHINE_ARN).toEqual({
      Ref: logicalId(s.stack.registrations.stateMachine),
    });
    expect(rule.Properties.Targets[0]).toMatchObject({
      Arn: { 'Fn::GetAtt': [logicalId(s.stack.reconcile.function.fn), 'Arn'] },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(s.stack.reconcile.deadLetters), 'Arn'] } },
    });
  });

  it('invokes the reconcile handler, which may touch the table, its key, its logs and its DLQ, nothing else', () => {
    const fn = s.template.toJSON().Resources[logicalId(s.stack.reconcile.function.fn)];
    const actions = roleStatements(s.template, logicalId(s.stack.reconcile.function.role)).flatMap(actionsOf);

    expect(fn.Properties.Handler).toBe('index.reconcile');
    expect(fn.Properties.DeadLetterConfig).toBeDefined();
    expect(actions.filter((a) => !/^(dynamodb|kms|logs|xray|sqs):/.test(a))).toEqual([]);
    expect(actions.filter((a) => a.startsWith('sqs:'))).toEqual(['sqs:SendMessage']);
    expect(actions).not.toContain('dynamodb:DeleteTable');
  });
});
