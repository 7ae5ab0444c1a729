import { AspectPriority, Aspects, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Api } from './api.ts';
import { ApprovalWorkflow, mailSender } from './approvals.ts';
import { Artifacts } from './artifacts.ts';
import { AuditArchive } from './audit-archive.ts';
import { Console } from './console.ts';
import { readStewardContext } from './context.ts';
import { Data } from './data.ts';
import { targetExecutionRoleName } from './deploy-roles.ts';
import { DeploymentWorkflow } from './deployments.ts';
import { DriftWorkflow } from './drift.ts';
import { DomainEvents } from './events.ts';
import { EncryptLogGroups, logsKey } from './log-encryption.ts';
import { Monitoring } from './monitoring.ts';
import { addAcknowledgementAspects } from './nag.ts';
import { Reconcile } from './reconcile.ts';
import { RegistrationWorkflow } from './registrations.ts';
import { UploadExpiry } from './upload-expiry.ts';

/** Steward on AWS: one stack, one construct per capability. */
export class StewardStack extends Stack {
  readonly data: Data;
  readonly artifacts: Artifacts;
  readonly events: DomainEvents;
  readonly auditArchive: AuditArchive;
  readonly deployments: DeploymentWorkflow;
  readonly reconcile: Reconcile;
  readonly approvals: ApprovalWorkflow;
  readonly monitoring: Monitoring;
  readonly drift: DriftWorkflow;
  readonly registrations: RegistrationWorkflow;
  readonly uploadExpiry: UploadExpiry;
  readonly api: Api;
  /** Only with context `console=true`. */
  readonly console?: Console;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const settings = readStewardContext(this);
    addAcknowledgementAspects(this);
    // Every log group of the stack is encrypted with one customer-managed key.
    logsKey(this);
    Aspects.of(this).add(new EncryptLogGroups(), { priority: AspectPriority.MUTATING });

    this.data = new Data(this, 'Data', {
      backupRetentionDays: settings.backupRetentionDays,
      backupVaultLock: settings.backupVaultLock,
    });
    this.artifacts = new Artifacts(this, 'Artifacts', {
      corsAllowedOrigins: settings.corsAllowedOrigins,
      replica: settings.artifactsReplica,
    });
    this.events = new DomainEvents(this, 'Events', { table: this.data.table });
    this.auditArchive = new AuditArchive(this, 'AuditArchive', {
      table: this.data.table,
      accessLogsBucket: this.artifacts.accessLogsBucket,
      retentionYears: settings.auditRetentionYears,
      retentionMode: settings.auditRetentionMode,
      replica: settings.auditArchiveReplica,
    });
    this.deployments = new DeploymentWorkflow(this, 'Deployments', {
      data: this.data,
      artifacts: this.artifacts,
      accessLogsBucket: this.artifacts.accessLogsBucket,
      settings,
    });
    // An environment in another account deploys there with its deploy role; that role, and the
    // execution role SageMaker runs models as there (StewardDeployRole stack), read the artifacts.
    // One grant per account, whatever the number of environments in it.
    const readersByAccount = new Map<string, Set<string>>();
    for (const policy of Object.values(settings.stewardEnvironments)) {
      if (!policy.account) continue;
      const { id, deployRoleArn } = policy.account;
      // In the deploy role's partition: the two live side by side.
      const partition = deployRoleArn.split(':')[1]!;
      const executionRoleArn = `arn:${partition}:iam::${id}:role/${targetExecutionRoleName(settings.resourcePrefix)}`;
      const readers = readersByAccount.get(id) ?? new Set<string>();
      readers.add(deployRoleArn).add(executionRoleArn);
      readersByAccount.set(id, readers);
    }
    for (const [accountId, roleArns] of readersByAccount)
      this.artifacts.grantModelReadToAccount(accountId, [...roleArns]);
    this.approvals = new ApprovalWorkflow(this, 'Approvals', {
      data: this.data,
      mailFrom: mailSender(this, settings.mailFrom),
      deployments: this.deployments,
    });
    this.registrations = new RegistrationWorkflow(this, 'Registrations', {
      data: this.data,
      artifacts: this.artifacts,
      settings,
    });
    this.reconcile = new Reconcile(this, 'Reconcile', {
      data: this.data,
      stateMachines: [
        this.deployments.stateMachine,
        this.approvals.stateMachine,
        this.registrations.stateMachine,
      ],
      environment: {
        ...this.deployments.taskEnvironment,
        // Tells a registration's execution from the others (no grant: it only compares the ARN).
        REGISTRATION_STATE_MACHINE_ARN: this.registrations.stateMachine.stateMachineArn,
      },
    });
    this.monitoring = new Monitoring(this, 'Monitoring', { settings, reportsBucket: this.artifacts.bucket });
    this.drift = new DriftWorkflow(this, 'Drift', {
      data: this.data,
      artifacts: this.artifacts,
      deployments: this.deployments,
      settings,
    });
    this.uploadExpiry = new UploadExpiry(this, 'UploadExpiry', {
      data: this.data,
      rate: settings.pendingUploadSweepRate,
      ttlHours: settings.pendingUploadTtlHours,
    });
    if (settings.console)
      this.console = new Console(this, 'Console', {
        settings,
        accessLogsBucket: this.artifacts.accessLogsBucket,
        artifactsBucket: this.artifacts.bucket,
      });
    this.api = new Api(this, 'Api', {
      data: this.data,
      artifacts: this.artifacts,
      registrations: this.registrations,
      approvals: this.approvals,
      deployments: this.deployments,
      drift: this.drift,
      monitoring: this.monitoring,
      settings,
      ...(this.console
        ? { console: { origin: this.console.origin, roleRules: this.console.roleRules } }
        : {}),
    });
    this.console?.connect(this.api);

    new CfnOutput(this, 'ApiUrl', { value: this.api.restApi.url });
    new CfnOutput(this, 'LinksApiUrl', {
      value: this.api.linksUrl,
      description: 'Where approval links in emails point (public, untraced)',
    });
    new CfnOutput(this, 'ArtifactsBucketName', { value: this.artifacts.bucket.bucketName });
    new CfnOutput(this, 'TableName', { value: this.data.table.tableName });
    new CfnOutput(this, 'EventBusName', { value: this.events.bus.eventBusName });
    new CfnOutput(this, 'AuditArchiveBucketName', { value: this.auditArchive.bucket.bucketName });
    new CfnOutput(this, 'ApprovalStateMachineArn', { value: this.approvals.stateMachine.stateMachineArn });
    new CfnOutput(this, 'DeploymentStateMachineArn', {
      value: this.deployments.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'DeploymentStateMachineRoleArn', {
      value: this.deployments.stateMachineRole.roleArn,
      description: 'Trusted by deploy roles in target accounts (targetAccountDeployRole.stateMachineRoleArn)',
    });
    new CfnOutput(this, 'ArtifactsBucketArn', { value: this.artifacts.bucket.bucketArn });
    new CfnOutput(this, 'ArtifactsKeyArn', { value: this.artifacts.key.keyArn });
    new CfnOutput(this, 'InferenceDataBucketName', { value: this.deployments.inferenceData.bucketName });
    new CfnOutput(this, 'DriftAlarmTopicArn', {
      value: this.monitoring.alarmTopic.topicArn,
      description: 'Drift alarms notify this topic: subscribe to it (or set context driftAlarmEmail)',
    });
    new CfnOutput(this, 'RegistrationStateMachineArn', {
      value: this.registrations.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'DriftStateMachineArn', { value: this.drift.stateMachine.stateMachineArn });
    new CfnOutput(this, 'MonitoringDashboardName', { value: this.monitoring.dashboard.dashboardName });
  }
}
