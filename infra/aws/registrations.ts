import { fileURLToPath } from 'node:url';
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { Artifacts } from './artifacts.ts';
import type { DataBucket, StewardContext } from './context.ts';
import type { Data } from './data.ts';
import { MODELS_PREFIX } from './deploy-roles.ts';
import { wildcardResourceFinding } from './nag.ts';
import { ServiceFunction } from './service-function.ts';
import { workflowStateMachine } from './workflow-state-machine.ts';

/** The registration workflow's definition, shared with local mode's runner. */
export const REGISTRATION_DEFINITION_FILE = fileURLToPath(
  new URL('../../statemachines/registration.asl.json', import.meta.url),
);
const ENTRY = fileURLToPath(new URL('../../functions/workflows/registration.ts', import.meta.url));

const bucketName = (entry: DataBucket): string => (typeof entry === 'string' ? entry : entry.bucket);

export interface RegistrationWorkflowProps {
  readonly data: Data;
  readonly artifacts: Artifacts;
  readonly settings: StewardContext;
}

/**
 * Registration by reference on AWS: a STANDARD state machine whose one task copies a version's
 * source (an `s3://` prefix in a bucket of context `sourceBuckets`) into the artifacts bucket,
 * server-side, and hashes every copy. The task runs up to 15 minutes, past API Gateway's 29 s; a
 * task that fails outright fails the version through the second task.
 *
 * The copy function reads only the source buckets (GetObject, ListBucket) and writes only under
 * models/ of the artifacts bucket.
 */
export class RegistrationWorkflow extends Construct {
  readonly copy: ServiceFunction;
  readonly fail: ServiceFunction;
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: RegistrationWorkflowProps) {
    super(scope, id);
    const { data, artifacts, settings } = props;
    const stack = Stack.of(this);
    const environment = {
      STEWARD_MODE: 'aws',
      TABLE_NAME: data.table.tableName,
      ARTIFACTS_BUCKET: artifacts.bucket.bucketName,
      S3_CHECKSUMS: 'true',
      SOURCE_BUCKETS: JSON.stringify(settings.sourceBuckets.map(bucketName)),
    };

    this.copy = new ServiceFunction(this, 'CopyFunction', {
      entry: ENTRY,
      handler: 'copy',
      description: 'Steward registration: copy a version registered by reference and hash every file',
      environment,
      timeout: Duration.minutes(15),
      memorySize: 1024,
      invocation: 'state-machine',
    });
    this.fail = new ServiceFunction(this, 'FailFunction', {
      entry: ENTRY,
      handler: 'fail',
      description: 'Steward registration: record a copy that did not finish',
      environment,
      timeout: Duration.seconds(30),
      invocation: 'state-machine',
    });
    for (const fn of [this.copy, this.fail]) data.grantItemReadWrite(fn, []);

    // The copy writes objects under models/ (CopyObject and multipart copy are PutObject) and
    // reads them back to hash them.
    const models = artifacts.bucket.arnForObjects(`${MODELS_PREFIX}*`);
    iam.Grant.addToPrincipal({
      grantee: this.copy,
      actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'],
      resourceArns: [models],
    });
    artifacts.key.grant(this.copy, 'kms:GenerateDataKey', 'kms:Decrypt');
    this.copy.acknowledgePolicyFinding(
      wildcardResourceFinding(this, models),
      `A version registered by reference is copied under ${MODELS_PREFIX}<model>/<uuid>/ with keys made at run time.`,
    );
    for (const entry of settings.sourceBuckets) {
      const name = bucketName(entry);
      const bucketArn = stack.formatArn({ service: 's3', region: '', account: '', resource: name });
      const objects = `${bucketArn}/*`;
      iam.Grant.addToPrincipal({ grantee: this.copy, actions: ['s3:GetObject'], resourceArns: [objects] });
      iam.Grant.addToPrincipal({ grantee: this.copy, actions: ['s3:ListBucket'], resourceArns: [bucketArn] });
      if (typeof entry !== 'string')
        iam.Grant.addToPrincipal({
          grantee: this.copy,
          actions: ['kms:Decrypt'],
          resourceArns: [entry.keyArn],
          conditions: { StringLike: { 'kms:ViaService': `s3.*.${stack.urlSuffix}` } },
        });
      this.copy.acknowledgePolicyFinding(
        wildcardResourceFinding(this, objects),
        `Versions are registered by reference from bucket ${name} (context sourceBuckets); read only, ` +
          'which objects is up to each registration.',
      );
    }

    ({ stateMachine: this.stateMachine, logGroup: this.logGroup } = workflowStateMachine(this, {
      name: 'registration',
      definitionFile: REGISTRATION_DEFINITION_FILE,
      substitutions: { CopyFunctionArn: this.copy.fn.functionArn, FailFunctionArn: this.fail.fn.functionArn },
      comment: 'Steward registration by reference: copy, hash, READY or FAILED',
      // Model names, version numbers and statuses; no secret.
      includeExecutionData: true,
      taskFunctions: [this.copy, this.fail],
    }));
  }

  grantStart(grantee: iam.IGrantable): void {
    this.stateMachine.grantStartExecution(grantee);
  }
}
