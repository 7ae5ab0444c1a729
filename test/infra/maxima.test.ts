import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { readStewardContext } from '../../infra/aws/context.ts';
import { addNagPacks } from '../../infra/aws/nag.ts';
import { StewardStack } from '../../infra/aws/steward-stack.ts';
import { cdkContext, logicalId } from './synth.ts';

/** The documented maximum of each list in the context (infra/aws/context.ts). */
const MAX_DATA_BUCKETS = 50;
const MAX_ECR_REPOSITORIES = 50;
const MAX_LAMBDA_TARGETS = 50;

/** A name of exactly `length` characters, distinct per `i`. */
const named = (stem: string, i: number, length: number) => {
  const suffix = `-${String(i).padStart(2, '0')}`;
  return `${stem}${'x'.repeat(Math.max(0, length - stem.length - suffix.length))}${suffix}`;
};

/** 50 buckets of the longest names S3 allows, every other one with its own KMS key. */
const dataBuckets = Array.from({ length: MAX_DATA_BUCKETS }, (_, i) => {
  const bucket = named('reference-datasets-', i, 63);
  return i % 2 === 0
    ? bucket
    : {
        bucket,
        keyArn: `arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890${String(i).padStart(2, '0')}`,
      };
});
/** 50 repositories with long names, every other one given as an ARN of another account. */
const ecrRepositories = Array.from({ length: MAX_ECR_REPOSITORIES }, (_, i) => {
  const name = named('ml-platform/models/', i, 120);
  return i % 2 === 0 ? name : `arn:aws:ecr:eu-west-1:763104351884:repository/${name}`;
});

/**
 * 50 Lambda targets, each as long as the 3 KB budget the functions' environment leaves them (the
 * context refuses more): the longest list the context accepts.
 */
const longestLambdaTargets = (): string[] => {
  for (let length = 140; length > 4; length--) {
    const targets = Array.from({ length: MAX_LAMBDA_TARGETS }, (_, i) =>
      i % 5 === 0 ? `${named('scorer-', i, length - 1)}*` : named('scorer-', i, length),
    );
    try {
      readStewardContext(new App({ context: { lambdaTargets: targets } }));
      return targets;
    } catch {
      // too long in all: one character less each
    }
  }
  throw new Error('no list of 50 Lambda targets fits');
};

describe('synth at every documented context maximum, with every option on', () => {
  it('passes with 50 dataBuckets, 50 ecrRepositories and the longest lambdaTargets, every finding acknowledged', () => {
    const lambdaTargets = longestLambdaTargets();
    expect(lambdaTargets).toHaveLength(MAX_LAMBDA_TARGETS);
    expect(lambdaTargets[1]!.length).toBeGreaterThan(20);
    const app = new App({
      context: cdkContext({
        '@aws-cdk/core:appMode': 'inmemory',
        dataBuckets,
        ecrRepositories,
        lambdaTargets,
        lambdaTargetTag: { key: 'steward-target', value: 'yes' },
        // Every opt-in resource too, so that its findings are covered as well.
        apiWafRateLimit: 2000,
        backupVaultLock: 'compliance',
        artifactsReplica: {
          bucketArn: 'arn:aws:s3:::steward-artifacts-replica',
          keyArn: 'arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        },
        auditArchiveReplica: {
          bucketArn: 'arn:aws:s3:::steward-audit-replica',
          keyArn: 'arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ac',
        },
      }),
    });
    const stack = new StewardStack(app, 'Steward');
    addNagPacks(app);

    // In-memory mode: an unacknowledged finding (or any other validation error) throws here.
    const assembly = app.synth();

    const template = Template.fromJSON(assembly.getStackByName(stack.stackName).template);
    // The grants outgrew inline policies: the overflow path, and its acknowledgements, were taken.
    expect(Object.keys(template.findResources('AWS::IAM::ManagedPolicy')).length).toBeGreaterThan(0);
    // Every bucket, repository and target is granted, whichever policy of the role holds it.
    const grantedTo = (roleId: string) =>
      JSON.stringify(
        Object.values({
          ...template.findResources('AWS::IAM::Policy'),
          ...template.findResources('AWS::IAM::ManagedPolicy'),
        }).filter((p) => JSON.stringify(p['Properties'].Roles) === JSON.stringify([{ Ref: roleId }])),
      );
    const monitoring = grantedTo(logicalId(stack.api.functions.monitoring.role));
    const run = grantedTo(logicalId(stack.drift.run.role));
    for (const entry of dataBuckets) {
      const bucket = typeof entry === 'string' ? entry : entry.bucket;
      expect(monitoring).toContain(`:s3:::${bucket}/*`);
      expect(run).toContain(`:s3:::${bucket}/*`);
    }
    const execution = grantedTo(logicalId(stack.deployments.executionRole));
    for (const repository of ecrRepositories)
      expect(execution).toContain(repository.replace(/^arn:.*:repository\//, ''));
    const deploy = grantedTo(logicalId(stack.deployments.deployRole));
    for (const target of lambdaTargets) expect(deploy).toContain(`function:${target}`);
    // A whole synth with three nag packs: minutes on a loaded machine.
  }, 300_000);

  it('refuses one more than the maximum in each list, so the maxima tested are the ones enforced', () => {
    const refused = (context: Record<string, unknown>) => () => readStewardContext(new App({ context }));
    expect(refused({ dataBuckets: [...dataBuckets, 'one-too-many'] })).toThrow(/dataBuckets/);
    expect(refused({ ecrRepositories: [...ecrRepositories, 'one-too-many'] })).toThrow(/ecrRepositories/);
    const lambdaTargets = Array.from({ length: MAX_LAMBDA_TARGETS + 1 }, (_, i) => `f${i}`);
    expect(refused({ lambdaTargets })).toThrow(/lambdaTargets/);
    expect(refused({ lambdaTargets: longestLambdaTargets().map((t) => `${t}y`) })).toThrow(/4 KB/);
  });
});
