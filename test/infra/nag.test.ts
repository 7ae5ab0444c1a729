import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { addNagPacks } from '../../infra/aws/nag.ts';
import { StewardStack } from '../../infra/aws/steward-stack.ts';
import { acknowledgementsIn, cdkContext, cfnResourcesUnder, findingsOf } from './synth.ts';

/** In-memory mode: a failed validation throws with the report in the message. */
const appContext = () => cdkContext({ '@aws-cdk/core:appMode': 'inmemory' });

describe('cdk-nag (AwsSolutions, Serverless and NIST 800-53 R5 packs)', () => {
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
    // A whole synth with the rule packs: minutes on a loaded machine.
  }, 300_000);

  it('acknowledges each finding once, on the one resource it concerns, with a reason', () => {
    const app = new App({ context: appContext(), builtinCloudFormationValidation: false });
    new StewardStack(app, 'Steward');
    // Some acknowledgements are made by aspects, at synth time (e.g. on each role's own policy).
    app.synth();
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
  }, 300_000);

  it('fails the synth on an unacknowledged warning, not only on errors', () => {
    const app = new App({ context: appContext(), builtinCloudFormationValidation: false });
    const stack = new StewardStack(app, 'Steward');
    new logs.LogGroup(Stack.of(stack), 'KeptForever', { retention: logs.RetentionDays.INFINITE });
    addNagPacks(app);

    expect(() => app.synth()).toThrow(/CloudWatchLogGroupRetentionPeriod/);
  }, 300_000);
});
