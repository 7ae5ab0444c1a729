import { afterAll, describe, expect, it } from 'vitest';
import { createLocalTargets } from '../../infra/local/targets.ts';

/** The simulated targets refuse what the published API models refuse, named as AWS names it. */
describe('local targets validate requests against the AWS API models', () => {
  const targets = createLocalTargets({ transitionMs: 0 });
  afterAll(() => targets.close());
  const call = (resource: string, input: unknown) =>
    Promise.resolve().then(() =>
      targets.resources[`arn:aws:states:::${resource}`]!(input, {
        stateName: 'Probe',
        executionArn: 'arn:aws:states:us-east-1:000000000000:execution:probe:1',
        resource: `arn:aws:states:::${resource}`,
      }),
    );

  it('CloudWatch DescribeAlarms with a StateValue the enum lacks: CloudWatch.InvalidParameterValueException', async () => {
    await expect(call('aws-sdk:cloudwatch:describeAlarms', { StateValue: 'RED' })).rejects.toMatchObject({
      name: 'CloudWatch.InvalidParameterValueException',
      message: expect.stringContaining('StateValue'),
    });
  });

  it('optimized SageMaker UpdateEndpoint without EndpointConfigName: SageMaker.AmazonSageMakerException', async () => {
    await expect(call('sagemaker:updateEndpoint', { EndpointName: 'e' })).rejects.toMatchObject({
      name: 'SageMaker.AmazonSageMakerException',
      message: expect.stringContaining('EndpointConfigName'),
    });
  });

  it('SDK Lambda UpdateAlias with an unknown member: Lambda.InvalidParameterValueException', async () => {
    targets.createFunction('model-fn');
    await expect(
      call('aws-sdk:lambda:updateAlias', { FunctionName: 'model-fn', Name: 'live', Weight: 3 }),
    ).rejects.toMatchObject({
      name: 'Lambda.InvalidParameterValueException',
      message: expect.stringContaining('Weight'),
    });
  });

  it('a request the model accepts reaches the simulator', async () => {
    await expect(
      call('aws-sdk:cloudwatch:describeAlarms', { AlarmNames: ['x'], StateValue: 'ALARM' }),
    ).resolves.toMatchObject({ MetricAlarms: [] });
  });
});
