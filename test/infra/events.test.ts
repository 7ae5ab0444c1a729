import { beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../infra/local/events.ts';
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
  });

  it("puts events as local mode does: source steward, detail-type the audit action, dated by the event's at", () => {
    expect(pipe.Properties.TargetParameters).toMatchObject({
      EventBridgeEventBusParameters: {
        Source: 'steward',
        DetailType: '$.dynamodb.NewImage.action.S',
        Time: '$.dynamodb.NewImage.at.S',
      },
    });
  });

  it('builds detail {model, seq, action, target, actor, at, hash} from the inserted image', () => {
    const template = (pipe.Properties.TargetParameters as { InputTemplate: string }).InputTemplate;
    // Pipes quotes string values itself; the placeholders are bare, so the template is JSON once
    // each `<path>` is replaced by a JSON value.
    const placeholders = [...template.matchAll(/<([^>]+)>/g)].map((m) => m[1]);
    const detail = JSON.parse(template.replace(/<([^>]+)>/g, (_m, path: string) => JSON.stringify(path)));
    expect(detail).toEqual({
      model: '$.dynamodb.NewImage.model.S',
      seq: '$.dynamodb.NewImage.seq.N',
      action: '$.dynamodb.NewImage.action.S',
      target: '$.dynamodb.NewImage.target.S',
      actor: '$.dynamodb.NewImage.actor.S',
      at: '$.dynamodb.NewImage.at.S',
      hash: '$.dynamodb.NewImage.hash.S',
    });
    expect(placeholders).toHaveLength(7);
    // The same fields local mode puts in detail (infra/local/events.ts), no more, no fewer: the
    // `satisfies` fails type checking when local mode's detail gains or loses a field.
    const local = {
      model: true,
      seq: true,
      action: true,
      target: true,
      actor: true,
      at: true,
      hash: true,
    } satisfies Record<keyof DomainEvent['detail'], true>;
    expect(Object.keys(detail).sort()).toEqual(Object.keys(local).sort());
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
