import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';

/**
 * Runs the AwsSolutions and Serverless packs on every synth. A finding fails the synth unless it is
 * acknowledged, with its reason, on the one resource it concerns (`Validations.of(x).acknowledge`).
 * A pack reports failure on any finding, warning or error, so warnings fail the synth too.
 */
export const addNagPacks = (app: App): void => {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
};
