import { beforeAll, describe, expect, it } from 'vitest';
import { logicalId, type Synthesized, synthStack } from './synth.ts';

interface PipeResource {
  Properties: {
    Source: unknown;
    Target: unknown;
    TargetParameters: unknown;
    RoleArn: { 'Fn::GetAtt': [string, string] };
    SourceParameters: {
      FilterCriteria: { Filters: { Pattern: string }[] };
      DynamoDBStreamParameters: {
        DeadLetterConfig: unknown;
        MaximumRetryAttempts: number;
        StartingPosition: string;
      };
    };
  };
}

describe('domain events (transactional outbox)', () => {
  let s: Synthesized;
  let pipe: PipeResource;
  beforeAll(() => {
    s = synthStack();
    pipe = s.template.toJSON().Resources[logicalId(s.stack.events.pipe)];
  });

  it('pipes the table stream to the domain event bus', () => {
    expect(pipe.Properties.Source).toEqual({ 'Fn::GetAtt': [logicalId(s.stack.data.table), 'StreamArn'] });
    expect(pipe.Properties.Target).toEqual({ 'Fn::GetAtt': [logicalId(s.stack.events.bus), 'Arn'] });
    expect(pipe.Properties.TargetParameters).toEqual({
      EventBridgeEventBusParameters: { Source: 'steward.registry', DetailType: 'Steward Audit Event' },
    });
  });

  it('passes only inserted audit items', () => {
    const filters = pipe.Properties.SourceParameters.FilterCriteria.Filters;
    expect(filters.map((f) => JSON.parse(f.Pattern))).toEqual([
      { eventName: ['INSERT'], dynamodb: { NewImage: { entity: { S: ['audit'] } } } },
    ]);
  });

  it('reads the stream from its oldest record, so a replaced pipe repeats events rather than drops them', () => {
    expect(pipe.Properties.SourceParameters.DynamoDBStreamParameters.StartingPosition).toBe('TRIM_HORIZON');
  });

  it('parks records that keep failing in an encrypted dead-letter queue', () => {
    const stream = pipe.Properties.SourceParameters.DynamoDBStreamParameters;
    const queueId = logicalId(s.stack.events.deadLetterQueue);
    expect(stream.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } });
    expect(stream.MaximumRetryAttempts).toBeGreaterThan(0);
    expect(s.template.toJSON().Resources[queueId].Properties.SqsManagedSseEnabled).toBe(true);
  });

  it('lets only EventBridge Pipes of this account assume its role', () => {
    const role = s.template.toJSON().Resources[pipe.Properties.RoleArn['Fn::GetAtt'][0]];
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'pipes.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      },
    ]);
  });
});
