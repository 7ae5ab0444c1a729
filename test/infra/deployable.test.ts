import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_GATEWAY_INTEGRATION_TIMEOUT } from '../../infra/aws/api.ts';
import { StewardStack } from '../../infra/aws/steward-stack.ts';
import { withStackPartition } from '../../infra/aws/workflow-state-machine.ts';
import { cdkContext, logicalId, type Resources, type Synthesized, synthStack } from './synth.ts';

/** CloudFormation properties that give a resource its physical name. */
const NAME_PROPERTIES = [
  'LogGroupName',
  'BucketName',
  'TableName',
  'RoleName',
  'ManagedPolicyName',
  'QueueName',
  'TopicName',
  'FunctionName',
  'StateMachineName',
  'EventBusName',
  'DashboardName',
  'AliasName',
  'Name',
];

describe('deployable twice and in every partition', () => {
  let s: Synthesized;
  let resources: Resources;
  beforeAll(() => {
    s = synthStack();
    resources = s.template.toJSON().Resources;
  });

  it('gives no retained resource a fixed name, so a create after a failed create or a destroy cannot collide', () => {
    const retained = Object.entries(resources).filter(
      ([, r]) =>
        r.DeletionPolicy === 'Retain' ||
        (r as { UpdateReplacePolicy?: string }).UpdateReplacePolicy === 'Retain',
    );
    expect(retained.length).toBeGreaterThan(10);
    for (const [id, resource] of retained)
      for (const property of NAME_PROPERTIES) {
        const name = resource.Properties?.[property];
        // A name is safe when it holds the stack instance's id (new with every create).
        if (name !== undefined) expect(JSON.stringify(name), `${id}.${property}`).toContain('AWS::StackId');
      }
  });

  it("names the state machines' log groups under /aws/vendedlogs/states/, ending with the stack instance's id", () => {
    for (const group of [s.stack.approvals.logGroup, s.stack.deployments.logGroup, s.stack.drift.logGroup]) {
      const name = resources[logicalId(group)]!.Properties['LogGroupName'] as {
        'Fn::Join': [string, unknown[]];
      };
      const parts = name['Fn::Join'][1];
      expect(parts[0]).toMatch(/^\/aws\/vendedlogs\/states\//);
      expect(parts.at(-1)).toEqual({ 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] });
    }
  });

  it("stops every API function before API Gateway's 29-second integration timeout", () => {
    const limit = API_GATEWAY_INTEGRATION_TIMEOUT.toSeconds();
    for (const [group, fn] of Object.entries(s.stack.api.functions)) {
      const timeout = resources[logicalId(fn.fn)]!.Properties['Timeout'] as number;
      expect(timeout, group).toBeLessThan(limit);
    }
  });

  it('synthesizes for aws-cn with the partition from the stack: no ARN says arn:aws:', () => {
    const app = new App({ context: cdkContext(), builtinCloudFormationValidation: false });
    const stack = new StewardStack(app, 'Steward', {
      env: { account: '111122223333', region: 'cn-north-1' },
    });
    const template = Template.fromStack(stack).toJSON();
    const text = JSON.stringify(template);

    expect(text).not.toMatch(/arn:aws:/);
    expect(text).toContain('arn:aws-cn:');
    for (const machine of Object.values(template.Resources as Resources).filter(
      (r) => r.Type === 'AWS::StepFunctions::StateMachine',
    )) {
      expect((machine.Properties['DefinitionSubstitutions'] as Record<string, unknown>)['Partition']).toBe(
        'aws-cn',
      );
      expect(machine.Properties['DefinitionString']).toContain(withStackPartition('"arn:aws:states:::'));
    }
  });
});
