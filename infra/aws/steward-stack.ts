import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Api } from './api.ts';
import { ApprovalWorkflow } from './approvals.ts';
import { Artifacts } from './artifacts.ts';
import { AuditArchive } from './audit-archive.ts';
import { readStewardContext } from './context.ts';
import { Data } from './data.ts';
import { DomainEvents } from './events.ts';

/** Steward on AWS: one stack, one construct per capability. */
export class StewardStack extends Stack {
  readonly data: Data;
  readonly artifacts: Artifacts;
  readonly events: DomainEvents;
  readonly auditArchive: AuditArchive;
  readonly approvals: ApprovalWorkflow;
  readonly api: Api;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const settings = readStewardContext(this);

    this.data = new Data(this, 'Data');
    this.artifacts = new Artifacts(this, 'Artifacts', { corsAllowedOrigins: settings.corsAllowedOrigins });
    this.events = new DomainEvents(this, 'Events', { table: this.data.table });
    this.auditArchive = new AuditArchive(this, 'AuditArchive', {
      table: this.data.table,
      accessLogsBucket: this.artifacts.accessLogsBucket,
      retentionYears: settings.auditRetentionYears,
      retentionMode: settings.auditRetentionMode,
    });
    this.approvals = new ApprovalWorkflow(this, 'Approvals', {
      data: this.data,
      mailFrom: settings.mailFrom,
    });
    this.api = new Api(this, 'Api', {
      data: this.data,
      artifacts: this.artifacts,
      approvals: this.approvals,
      settings,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.restApi.url });
    new CfnOutput(this, 'ArtifactsBucketName', { value: this.artifacts.bucket.bucketName });
    new CfnOutput(this, 'TableName', { value: this.data.table.tableName });
    new CfnOutput(this, 'EventBusName', { value: this.events.bus.eventBusName });
    new CfnOutput(this, 'AuditArchiveBucketName', { value: this.auditArchive.bucket.bucketName });
    new CfnOutput(this, 'ApprovalStateMachineArn', { value: this.approvals.stateMachine.stateMachineArn });
  }
}
