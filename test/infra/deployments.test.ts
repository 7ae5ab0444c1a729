import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { placeholdersOf } from '../../infra/aws/approvals.ts';
import { contextDefaults } from '../../infra/aws/context.ts';
import { DEPLOYMENT_DEFINITION_FILE } from '../../infra/aws/deployments.ts';
import { withStackPartition } from '../../infra/aws/workflow-state-machine.ts';
import {
  actionsOf,
  asWritten,
  getAtt,
  grantsByResource,
  joined,
  key,
  LOGS,
  logicalId,
  type Properties,
  type Resources,
  roleStatements,
  STATE_MACHINE_DELIVERY,
  STATES_TRUST,
  type Statement,
  type Synthesized,
  synthStack,
  TABLE_KEY_READ_WRITE,
  TABLE_READ_WRITE,
  XRAY,
} from './synth.ts';

const SAGEMAKER = [
  'sagemaker:CreateEndpoint',
  'sagemaker:CreateEndpointConfig',
  'sagemaker:CreateModel',
  'sagemaker:CreateTransformJob',
  'sagemaker:DeleteEndpoint',
  'sagemaker:DeleteEndpointConfig',
  'sagemaker:DeleteModel',
  'sagemaker:DescribeEndpoint',
  'sagemaker:DescribeTransformJob',
  'sagemaker:UpdateEndpoint',
];
const LAMBDA = [
  'lambda:CreateAlias',
  'lambda:DeleteAlias',
  'lambda:GetAlias',
  'lambda:GetFunctionConfiguration',
  'lambda:PublishVersion',
  'lambda:UpdateAlias',
  'lambda:UpdateFunctionCode',
];

const CROSS_ACCOUNT = '444455556666';
const CROSS_ACCOUNT_ROLE = `arn:aws:iam::${CROSS_ACCOUNT}:role/mlops-deploy`;
/** The shipped environments, with prod deploying into another account. */
const environmentsWithCrossAccountProd = {
  ...contextDefaults.stewardEnvironments,
  prod: {
    ...contextDefaults.stewardEnvironments['prod']!,
    account: { id: CROSS_ACCOUNT, deployRoleArn: CROSS_ACCOUNT_ROLE },
  },
};

/** `arn:<partition>:<service>:<region>:<account>:<rest>` as formatArn renders it. */
const localArn = (service: string, rest: string) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      `:${service}:`,
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:${rest}`,
    ],
  ],
});
const resourcesOf = (statement: Statement): unknown[] =>
  Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];

describe('deployment workflow', () => {
  let s: Synthesized;
  let resources: Resources;
  let machine: Properties;
  const statementsOf = (role: Parameters<typeof logicalId>[0]) => roleStatements(s.template, logicalId(role));
  beforeAll(() => {
    s = synthStack({
      resourcePrefix: 'mlops',
      lambdaTargets: ['fraud-*', 'arn:aws:lambda:eu-west-1:111122223333:function:scorer'],
      stewardEnvironments: environmentsWithCrossAccountProd,
      deployPollSeconds: 20,
    });
    resources = s.template.toJSON().Resources;
    machine = resources[logicalId(s.stack.deployments.stateMachine)]!.Properties;
  });

  describe('state machine', () => {
    it('is STANDARD, defined by statemachines/deployment.asl.json as written, each placeholder its task function', () => {
      expect(machine['StateMachineType']).toBe('STANDARD');
      const definition = readFileSync(DEPLOYMENT_DEFINITION_FILE, 'utf8');
      expect(machine['DefinitionString']).toBe(withStackPartition(definition));
      expect(placeholdersOf(definition)).toEqual([
        'FinishFunctionArn',
        'PrepareFunctionArn',
        'ProgressFunctionArn',
      ]);
      const { prepare, progress, finish } = s.stack.deployments;
      expect(machine['DefinitionSubstitutions']).toEqual({
        PrepareFunctionArn: getAtt(logicalId(prepare.fn)),
        ProgressFunctionArn: getAtt(logicalId(progress.fn)),
        FinishFunctionArn: getAtt(logicalId(finish.fn)),
        Partition: { Ref: 'AWS::Partition' },
      });
    });

    it('runs every SageMaker, Lambda and CloudWatch task with the deploy role the plan names', () => {
      type State = {
        Type: string;
        Resource?: string;
        Credentials?: unknown;
        ItemProcessor?: { States: Record<string, State> };
      };
      const all = (states: Record<string, State>): State[] =>
        Object.values(states).flatMap((st) => [
          st,
          ...(st.ItemProcessor ? all(st.ItemProcessor.States) : []),
        ]);
      const tasks = all(JSON.parse(asWritten(machine['DefinitionString'] as string)).States).filter(
        (st) => st.Type === 'Task',
      );
      const integrations = tasks.filter((t) => t.Resource !== 'arn:aws:states:::lambda:invoke');
      expect(integrations.length).toBeGreaterThan(10);
      for (const task of integrations)
        expect(task.Credentials, task.Resource).toEqual({ 'RoleArn.$': '$.plan.roleArn' });
      // The task functions are Steward's own, invoked with the state machine's role.
      for (const task of tasks.filter((t) => t.Resource === 'arn:aws:states:::lambda:invoke'))
        expect(task.Credentials).toBeUndefined();
    });

    it("calls no service action its deploy role lacks: each task's API is one the role may call", () => {
      type State = { Type: string; Resource?: string; ItemProcessor?: { States: Record<string, State> } };
      const all = (states: Record<string, State>): State[] =>
        Object.values(states).flatMap((st) => [
          st,
          ...(st.ItemProcessor ? all(st.ItemProcessor.States) : []),
        ]);
      // arn:aws:states:::sagemaker:createModel, arn:aws:states:::aws-sdk:lambda:updateAlias -> service:Api
      const called = new Set(
        all(JSON.parse(asWritten(machine['DefinitionString'] as string)).States)
          .map((st) => st.Resource)
          .filter((r): r is string => r !== undefined && r !== 'arn:aws:states:::lambda:invoke')
          .map((r) => {
            const [service, api] = r.replace('arn:aws:states:::', '').replace('aws-sdk:', '').split(':');
            return `${service}:${api![0]!.toUpperCase()}${api!.slice(1).replace(/\.sync$/, '')}`;
          }),
      );
      const held = new Set(statementsOf(s.stack.deployments.deployRole).flatMap(actionsOf));
      expect([...called].filter((action) => !held.has(action))).toEqual([]);
      expect(called.size).toBeGreaterThan(15);
    });

    it('logs ALL events with their data (no secret passes through it) and traces with X-Ray', () => {
      const logGroupId = logicalId(s.stack.deployments.logGroup);
      expect(machine['LoggingConfiguration']).toEqual({
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: getAtt(logGroupId) } }],
        IncludeExecutionData: true,
        Level: 'ALL',
      });
      expect(machine['TracingConfiguration']).toEqual({ Enabled: true });
      expect(resources[logGroupId]!.Properties).toMatchObject({
        LogGroupName: {
          'Fn::Join': [
            '',
            [
              '/aws/vendedlogs/states/Steward-deployment-',
              { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] },
            ],
          ],
        },
        RetentionInDays: 90,
      });
    });

    it('its role invokes the three task functions and assumes deploy roles, and holds no SageMaker or Lambda change itself', () => {
      const role = resources[logicalId(s.stack.deployments.stateMachineRole)]!;
      expect(machine['RoleArn']).toEqual(getAtt(logicalId(s.stack.deployments.stateMachineRole)));
      expect((role.Properties['AssumeRolePolicyDocument'] as { Statement: unknown[] }).Statement).toEqual([
        STATES_TRUST,
      ]);
      const fnIds = ['prepare', 'progress', 'finish'].map((t) =>
        logicalId(s.stack.deployments[t as 'prepare' | 'progress' | 'finish'].fn),
      );
      const grants = grantsByResource(statementsOf(s.stack.deployments.stateMachineRole));
      expect(grants).toEqual({
        '"*"': STATE_MACHINE_DELIVERY,
        ...Object.fromEntries(
          fnIds.flatMap((id) => [
            [key(getAtt(id)), ['lambda:InvokeFunction']],
            [key(joined(id, ':*')), ['lambda:InvokeFunction']],
          ]),
        ),
        [key(getAtt(logicalId(s.stack.deployments.deployRole)))]: ['sts:AssumeRole'],
        [key(CROSS_ACCOUNT_ROLE)]: ['sts:AssumeRole'],
      });
    });

    it("may assume only deploy roles: its own account's and those the environments name", () => {
      const assumed = statementsOf(s.stack.deployments.stateMachineRole)
        .filter((st) => actionsOf(st).some((a) => a.startsWith('sts:')))
        .flatMap(resourcesOf);
      expect(assumed.map(key).sort()).toEqual(
        [getAtt(logicalId(s.stack.deployments.deployRole)), CROSS_ACCOUNT_ROLE].map(key).sort(),
      );
      expect(s.stack.deployments.crossAccountDeployRoleArns).toEqual([CROSS_ACCOUNT_ROLE]);
    });
  });

  describe('deploy role', () => {
    it('can be assumed by the deployment state machine role only', () => {
      const role = resources[logicalId(s.stack.deployments.deployRole)]!;
      expect((role.Properties['AssumeRolePolicyDocument'] as { Statement: unknown[] }).Statement).toEqual([
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { AWS: getAtt(logicalId(s.stack.deployments.stateMachineRole)) },
        },
      ]);
      expect(role.Properties['ManagedPolicyArns']).toBeUndefined();
    });

    it('acts on SageMaker models, endpoint configs, endpoints and transform jobs named with the prefix only', () => {
      const statements = statementsOf(s.stack.deployments.deployRole).filter(
        (st) => actionsOf(st).some((a) => a.startsWith('sagemaker:')) && st.Resource !== '*',
      );
      expect(statements.flatMap(actionsOf).sort()).toEqual(SAGEMAKER);
      expect(statements.flatMap(resourcesOf).map(key).sort()).toEqual(
        ['endpoint-config/mlops-*', 'endpoint/mlops-*', 'model/mlops-*', 'transform-job/mlops-*']
          .map((rest) => key(localArn('sagemaker', rest)))
          .sort(),
      );
    });

    it('lists tags (read only) on "*", as the optimized SageMaker integrations need and AWS documents', () => {
      const anywhere = statementsOf(s.stack.deployments.deployRole).filter((st) => st.Resource === '*');
      expect(anywhere).toEqual([
        {
          Sid: 'SageMakerOptimizedIntegrationsListTags',
          Effect: 'Allow',
          Action: 'sagemaker:ListTags',
          Resource: '*',
        },
      ]);
    });

    it('passes the model execution role, to SageMaker only, and no other role', () => {
      const passes = statementsOf(s.stack.deployments.deployRole).filter((st) =>
        actionsOf(st).includes('iam:PassRole'),
      );
      expect(passes).toEqual([
        {
          Sid: 'PassTheModelExecutionRoleToSageMaker',
          Effect: 'Allow',
          Action: 'iam:PassRole',
          Resource: getAtt(logicalId(s.stack.deployments.executionRole)),
          Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
        },
      ]);
    });

    it('changes only the Lambda functions in lambdaTargets, and their versions and aliases', () => {
      const statements = statementsOf(s.stack.deployments.deployRole).filter((st) =>
        actionsOf(st).some((a) => a.startsWith('lambda:')),
      );
      expect(statements).toHaveLength(1);
      expect(actionsOf(statements[0]!).sort()).toEqual(LAMBDA);
      expect(statements[0]!.Condition).toBeUndefined();
      expect(resourcesOf(statements[0]!).map(key).sort()).toEqual(
        [
          localArn('lambda', 'function:fraud-*'),
          localArn('lambda', 'function:fraud-*:*'),
          'arn:aws:lambda:eu-west-1:111122223333:function:scorer',
          'arn:aws:lambda:eu-west-1:111122223333:function:scorer:*',
        ]
          .map(key)
          .sort(),
      );
    });

    it('reads model artifacts, decrypts them, reads alarm states and makes default rollback alarms; nothing more', () => {
      const rest = statementsOf(s.stack.deployments.deployRole).filter(
        (st) => !actionsOf(st).some((a) => /^(sagemaker|lambda|iam):/.test(a)),
      );
      expect(grantsByResource(rest)).toEqual({
        [key(joined(logicalId(s.stack.artifacts.bucket), '/models/*'))]: [
          's3:GetObject',
          's3:GetObjectVersion',
        ],
        [key(getAtt(logicalId(s.stack.artifacts.key)))]: ['kms:Decrypt'],
        [key(localArn('cloudwatch', 'alarm:*'))]: ['cloudwatch:DescribeAlarms'],
        // The default rollback alarm of a target that names none, made by PutRollbackAlarm.
        [key(localArn('cloudwatch', 'alarm:*-rollback'))]: ['cloudwatch:PutMetricAlarm'],
      });
    });
  });

  describe('model execution role', () => {
    it('is assumed by SageMaker for this account only', () => {
      const role = resources[logicalId(s.stack.deployments.executionRole)]!;
      expect((role.Properties['AssumeRolePolicyDocument'] as { Statement: unknown[] }).Statement).toEqual([
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'sagemaker.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        },
      ]);
    });

    it('reads (and lists) model artifacts, pulls images, logs under /aws/sagemaker/ and writes captured data; nothing more', () => {
      const data = logicalId(s.stack.deployments.inferenceData);
      const logGroups = localArn('logs', 'log-group:/aws/sagemaker/*');
      const logStreams = localArn('logs', 'log-group:/aws/sagemaker/*:log-stream:*');
      const logActions = [
        'logs:CreateLogGroup',
        'logs:CreateLogStream',
        'logs:DescribeLogStreams',
        'logs:PutLogEvents',
      ];
      expect(grantsByResource(statementsOf(s.stack.deployments.executionRole))).toEqual({
        [key(joined(logicalId(s.stack.artifacts.bucket), '/models/*'))]: [
          's3:GetObject',
          's3:GetObjectVersion',
        ],
        // A multi-file version is served from its prefix (S3Prefix), which SageMaker lists.
        [`${key(getAtt(logicalId(s.stack.artifacts.bucket)))} when ${key({ StringLike: { 's3:prefix': ['models/*'] } })}`]:
          ['s3:ListBucket'],
        [key(getAtt(logicalId(s.stack.artifacts.key)))]: ['kms:Decrypt'],
        [key(localArn('ecr', 'repository/*'))]: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
        '"*"': ['ecr:GetAuthorizationToken'],
        [key(logGroups)]: logActions,
        [key(logStreams)]: logActions,
        [key(joined(data, '/capture/*'))]: ['s3:PutObject'],
        [key(joined(data, '/batch/*'))]: ['s3:GetObject', 's3:PutObject'],
        [`${key(getAtt(data))} when ${key({ StringLike: { 's3:prefix': ['batch/*'] } })}`]: ['s3:ListBucket'],
        [key(getAtt(logicalId(s.stack.deployments.inferenceDataKey)))]: [
          'kms:Decrypt',
          'kms:GenerateDataKey',
        ],
      });
    });

    it('pulls from the repositories ecrRepositories names, when it names any', () => {
      const named = synthStack({
        ecrRepositories: ['fraud-images', 'arn:aws:ecr:eu-west-1:763104351884:repository/pytorch-inference'],
      });
      const ecr = roleStatements(named.template, logicalId(named.stack.deployments.executionRole)).filter(
        (st) => actionsOf(st).includes('ecr:BatchGetImage'),
      );
      expect(ecr.flatMap(resourcesOf).map(key).sort()).toEqual(
        [
          localArn('ecr', 'repository/fraud-images'),
          'arn:aws:ecr:eu-west-1:763104351884:repository/pytorch-inference',
        ]
          .map(key)
          .sort(),
      );
    });
  });

  describe('task functions', () => {
    it('run prepare, progress and finish of functions/workflows/deployment.ts, read and write the table, nothing more', () => {
      const table = logicalId(s.stack.data.table);
      for (const name of ['prepare', 'progress', 'finish'] as const) {
        const task = s.stack.deployments[name];
        expect(resources[logicalId(task.fn)]!.Properties).toMatchObject({
          Handler: `index.${name}`,
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          TracingConfig: { Mode: 'Active' },
        });
        const statements = statementsOf(task.role);
        expect(grantsByResource(statements)).toEqual({
          [key(getAtt(logicalId(task.logGroup)))]: LOGS,
          '"*"': XRAY,
          [key(getAtt(table))]: TABLE_READ_WRITE,
          [key(getAtt(logicalId(s.stack.data.tableKey)))]: TABLE_KEY_READ_WRITE,
        });
        expect(statements.filter((st) => st.Effect === 'Deny')).toEqual([
          {
            Sid: 'AuditItemsAreAppendOnly',
            Effect: 'Deny',
            Action: ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'],
            Resource: getAtt(table),
            Condition: { 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': ['AUDIT#*'] } },
          },
        ]);
      }
    });

    it('get the deploy role, the execution role, the prefix and the poll interval', () => {
      const env = (
        resources[logicalId(s.stack.deployments.prepare.fn)]!.Properties['Environment'] as {
          Variables: Record<string, unknown>;
        }
      ).Variables;
      expect(env).toMatchObject({
        STEWARD_MODE: 'aws',
        TABLE_NAME: { Ref: logicalId(s.stack.data.table) },
        RESOURCE_PREFIX: 'mlops',
        SAGEMAKER_EXECUTION_ROLE_ARN: getAtt(logicalId(s.stack.deployments.executionRole)),
        DEPLOY_ROLE_ARN: getAtt(logicalId(s.stack.deployments.deployRole)),
        DEPLOY_POLL_SECONDS: '20',
      });
      expect(JSON.parse(env['STEWARD_ENVIRONMENTS'] as string)).toEqual(environmentsWithCrossAccountProd);
    });
  });

  describe('environments in other accounts', () => {
    const fromRoles = {
      ArnEquals: {
        'aws:PrincipalArn': [CROSS_ACCOUNT_ROLE, `arn:aws:iam::${CROSS_ACCOUNT}:role/mlops-model-execution`],
      },
    };
    const accountRoot = {
      AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${CROSS_ACCOUNT}:root`]] },
    };
    const crossAccountFormOf = (statement: Statement & { Principal?: unknown }) =>
      JSON.stringify(statement.Principal ?? '').includes(CROSS_ACCOUNT);

    it("let the environment's deploy and execution roles read model artifacts (models/ only) from the artifacts bucket", () => {
      const policy = Object.values(resources).find(
        (r) =>
          r.Type === 'AWS::S3::BucketPolicy' &&
          key(r.Properties['Bucket']) === key({ Ref: logicalId(s.stack.artifacts.bucket) }),
      )!;
      const statements = (policy.Properties['PolicyDocument'] as { Statement: Statement[] }).Statement;
      expect(statements.filter(crossAccountFormOf)).toEqual([
        {
          Sid: `ModelReadFrom${CROSS_ACCOUNT}`,
          Effect: 'Allow',
          Principal: accountRoot,
          Action: ['s3:GetObject', 's3:GetObjectVersion'],
          Resource: joined(logicalId(s.stack.artifacts.bucket), '/models/*'),
          Condition: fromRoles,
        },
      ]);
    });

    it('let those roles decrypt artifacts through S3 only', () => {
      const keyPolicy = resources[logicalId(s.stack.artifacts.key)]!.Properties['KeyPolicy'] as {
        Statement: Statement[];
      };
      expect(keyPolicy.Statement.filter(crossAccountFormOf)).toEqual([
        {
          Sid: `ModelDecryptThroughS3From${CROSS_ACCOUNT}`,
          Effect: 'Allow',
          Principal: accountRoot,
          Action: 'kms:Decrypt',
          Resource: '*',
          Condition: {
            ...fromRoles,
            StringEquals: {
              'kms:ViaService': {
                'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]],
              },
            },
          },
        },
      ]);
    });

    it('grant once per account, to every deploy role the environments in it name', () => {
      const other = `arn:aws:iam::${CROSS_ACCOUNT}:role/team-b-deploy`;
      const two = synthStack({
        resourcePrefix: 'mlops',
        stewardEnvironments: {
          ...environmentsWithCrossAccountProd,
          staging: {
            ...contextDefaults.stewardEnvironments['staging']!,
            account: { id: CROSS_ACCOUNT, deployRoleArn: other },
          },
        },
      });
      const policy = Object.values(two.template.toJSON().Resources as Resources).find(
        (r) =>
          r.Type === 'AWS::S3::BucketPolicy' &&
          key(r.Properties['Bucket']) === key({ Ref: logicalId(two.stack.artifacts.bucket) }),
      )!;
      const grants = (policy.Properties['PolicyDocument'] as { Statement: Statement[] }).Statement.filter(
        crossAccountFormOf,
      );
      expect(grants).toHaveLength(1);
      expect(grants[0]!.Condition).toEqual({
        ArnEquals: {
          'aws:PrincipalArn': [
            other,
            `arn:aws:iam::${CROSS_ACCOUNT}:role/mlops-model-execution`,
            CROSS_ACCOUNT_ROLE,
          ],
        },
      });
      expect([...two.stack.deployments.crossAccountDeployRoleArns].sort()).toEqual(
        [CROSS_ACCOUNT_ROLE, other].sort(),
      );
    });

    it('grant nothing across accounts when no environment names an account', () => {
      const plain = synthStack();
      const text = JSON.stringify(plain.template.toJSON());
      expect(text).not.toMatch(/ModelReadFrom|ModelDecryptThroughS3From/);
      expect(plain.stack.deployments.crossAccountDeployRoleArns).toEqual([]);
      const assumed = roleStatements(plain.template, logicalId(plain.stack.deployments.stateMachineRole))
        .filter((st) => actionsOf(st).includes('sts:AssumeRole'))
        .flatMap(resourcesOf);
      expect(assumed).toEqual([getAtt(logicalId(plain.stack.deployments.deployRole))]);
    });
  });

  describe('with the default context', () => {
    let plain: Synthesized;
    beforeAll(() => {
      plain = synthStack();
    });

    it('gives the deploy role no Lambda permission at all, and SageMaker names prefixed steward-', () => {
      const statements = roleStatements(plain.template, logicalId(plain.stack.deployments.deployRole));
      expect(statements.flatMap(actionsOf).filter((a) => a.startsWith('lambda:'))).toEqual([]);
      const sagemaker = statements.filter(
        (st) => actionsOf(st).some((a) => a.startsWith('sagemaker:')) && st.Resource !== '*',
      );
      for (const resource of sagemaker.flatMap(resourcesOf)) expect(key(resource)).toMatch(/\/steward-\*"/);
    });

    it('gives it Lambda permissions on functions carrying lambdaTargetTag, by that condition', () => {
      const tagged = synthStack({ lambdaTargetTag: { key: 'steward:managed', value: 'yes' } });
      const statements = roleStatements(
        tagged.template,
        logicalId(tagged.stack.deployments.deployRole),
      ).filter((st) => actionsOf(st).some((a) => a.startsWith('lambda:')));
      expect(statements).toEqual([
        {
          Sid: 'TaggedLambdaTargets',
          Effect: 'Allow',
          Action: LAMBDA,
          Resource: [localArn('lambda', 'function:*'), localArn('lambda', 'function:*:*')],
          Condition: { StringEquals: { 'aws:ResourceTag/steward:managed': 'yes' } },
        },
      ]);
    });

    it('keeps the inference data bucket encrypted with its own rotating key, private, TLS only, logged', () => {
      const bucket = plain.template.toJSON().Resources[logicalId(plain.stack.deployments.inferenceData)];
      expect(bucket.DeletionPolicy).toBe('Retain');
      expect(bucket.Properties).toMatchObject({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              BucketKeyEnabled: true,
              ServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: getAtt(logicalId(plain.stack.deployments.inferenceDataKey)),
              },
            },
          ],
        },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, RestrictPublicBuckets: true },
        LoggingConfiguration: {
          DestinationBucketName: { Ref: logicalId(plain.stack.artifacts.accessLogsBucket) },
          LogFilePrefix: 'inference-data/',
        },
      });
    });

    it('outputs what a target account needs to trust and read', () => {
      const outputs = plain.template.toJSON().Outputs;
      expect(outputs.DeploymentStateMachineRoleArn.Value).toEqual(
        getAtt(logicalId(plain.stack.deployments.stateMachineRole)),
      );
      expect(outputs.ArtifactsBucketArn.Value).toEqual(getAtt(logicalId(plain.stack.artifacts.bucket)));
      expect(outputs.ArtifactsKeyArn.Value).toEqual(getAtt(logicalId(plain.stack.artifacts.key)));
    });
  });
});
