import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, CfnResource, Stack, Validations } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { addNagPacks } from '../../infra/aws/nag.ts';
import { StewardStack } from '../../infra/aws/steward-stack.ts';
import { cdkContext } from './synth.ts';

/** In-memory mode: a failed validation throws with the report in the message. */
const appContext = () => cdkContext({ '@aws-cdk/core:appMode': 'inmemory' });

/** Every finding the two packs raise on the app, acknowledged or not, as `rule @ resource path`. */
const findingsOf = (app: App): string[] =>
  [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
    pack
      .validateScope(app)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} @ ${r.constructPath}`)),
  );

interface Acknowledgement {
  readonly id: string;
  readonly reason: string;
  readonly construct: IConstruct;
}

const acknowledgementsIn = (app: App): Acknowledgement[] =>
  app.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          id: id.replace(/^annotation::/i, ''),
          reason,
          construct,
        })),
      ),
  );

const cfnResourcesUnder = (construct: IConstruct): CfnResource[] =>
  construct.node.findAll().filter((c): c is CfnResource => CfnResource.isCfnResource(c));

describe('cdk-nag (AwsSolutions and Serverless packs)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('synthesizes as `cdk synth` does with no unacknowledged finding', () => {
    const app = new App({ context: appContext() });
    new StewardStack(app, 'Steward');
    addNagPacks(app);

    const assembly = app.synth();

    expect(findingsOf(app)).toEqual([]);
    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports).toEqual([]);
  });

  it('acknowledges each finding once, on the one resource it concerns, with a reason', () => {
    const app = new App({ context: appContext(), builtinCloudFormationValidation: false });
    new StewardStack(app, 'Steward');
    const acknowledgements = acknowledgementsIn(app);

    for (const ack of acknowledgements) {
      expect(cfnResourcesUnder(ack.construct), `${ack.id} on ${ack.construct.node.path}`).toHaveLength(1);
      expect(ack.reason.length, `${ack.id} on ${ack.construct.node.path}`).toBeGreaterThan(40);
    }
    const acknowledged = acknowledgements.map(
      (a) => `${a.id} @ ${cfnResourcesUnder(a.construct)[0]!.node.path}`,
    );
    expect(new Set(acknowledged).size).toBe(acknowledged.length);

    // The same app with every acknowledgement dropped: what the packs find must be exactly what
    // was acknowledged, so no acknowledgement is stale and none is missing.
    vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation(() => undefined);
    const bare = new App({ context: appContext(), builtinCloudFormationValidation: false });
    new StewardStack(bare, 'Steward');
    bare.synth();
    expect(findingsOf(bare).sort()).toEqual(acknowledged.sort());
  });

  it('fails the synth on an unacknowledged warning, not only on errors', () => {
    const app = new App({ context: appContext(), builtinCloudFormationValidation: false });
    const stack = new StewardStack(app, 'Steward');
    new logs.LogGroup(Stack.of(stack), 'KeptForever', { retention: logs.RetentionDays.INFINITE });
    addNagPacks(app);

    expect(() => app.synth()).toThrow(/CloudWatchLogGroupRetentionPeriod/);
  });
});
