import { beforeAll, describe, expect, it } from 'vitest';
import { actionsOf, logicalId, roleStatements, type Synthesized, synthStack } from './synth.ts';

describe('pending-upload expiry (infra/aws/upload-expiry.ts)', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthStack({ pendingUploadTtlHours: 6, pendingUploadSweepRate: 'rate(30 minutes)' });
  });

  it('a scheduled rule at context pendingUploadSweepRate invokes the sweep, with a dead-letter queue', () => {
    const rule = s.template.toJSON().Resources[logicalId(s.stack.uploadExpiry.rule)];

    expect(rule.Properties.ScheduleExpression).toBe('rate(30 minutes)');
    expect(rule.Properties.Targets).toHaveLength(1);
    expect(rule.Properties.Targets[0]).toMatchObject({
      Arn: { 'Fn::GetAtt': [logicalId(s.stack.uploadExpiry.function.fn), 'Arn'] },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(s.stack.uploadExpiry.deadLetters), 'Arn'] } },
    });
  });

  it('tells the sweep the time-to-live from context pendingUploadTtlHours, and the table', () => {
    const fn = s.template.toJSON().Resources[logicalId(s.stack.uploadExpiry.function.fn)];

    expect(fn.Properties.Handler).toBe('index.sweep');
    expect(fn.Properties.Environment.Variables).toMatchObject({
      PENDING_UPLOAD_TTL_HOURS: '6',
      TABLE_NAME: { Ref: logicalId(s.stack.data.table) },
    });
  });

  it('may touch the table items, gsi2 (not gsi1), the table key, its logs and its DLQ, and nothing else', () => {
    const statements = roleStatements(s.template, logicalId(s.stack.uploadExpiry.function.role));
    const actions = statements.flatMap(actionsOf);

    expect(actions.filter((a) => !/^(dynamodb|kms|logs|xray|sqs):/.test(a))).toEqual([]);
    expect(actions.filter((a) => a.startsWith('sqs:'))).toEqual(['sqs:SendMessage']);
    expect(actions).not.toContain('dynamodb:Scan');
    expect(actions).not.toContain('dynamodb:DeleteTable');
    const resources = JSON.stringify(
      statements.filter((st) => st.Effect === 'Allow').map((st) => st.Resource),
    );
    expect(resources).toContain('/index/gsi2');
    expect(resources).not.toContain('/index/gsi1');
  });
});
