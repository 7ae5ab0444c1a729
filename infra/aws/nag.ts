import { type App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/**
 * Runs the AwsSolutions and Serverless packs on every synth. A finding fails the synth unless it is
 * acknowledged, with its reason, on the one resource it concerns (`Validations.of(x).acknowledge`).
 * A pack reports failure on any finding, warning or error, so warnings fail the synth too.
 */
export const addNagPacks = (app: App): void => {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
};

/** A resolved CloudFormation value flattened as cdk-nag names it in a finding (`<Id.Arn>`, `<AWS::Region>`). */
const flatten = (node: unknown): string => {
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (Array.isArray(o['Fn::Join'])) {
      const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
      return items.map(flatten).join(delimiter);
    }
    if (Array.isArray(o['Fn::GetAtt'])) {
      const [id, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
      return `<${flatten(id)}.${flatten(attribute)}>`;
    }
    if ('Ref' in o) return `<${flatten(o['Ref'])}>`;
  }
  return JSON.stringify(node);
};

/**
 * The id of the AwsSolutions-IAM5 finding a grant on `resource` (an ARN with a wildcard, tokens
 * allowed) raises, so an acknowledgement names exactly the resource it was granted on.
 */
export const wildcardResourceFinding = (scope: IConstruct, resource: string): string =>
  `AwsSolutions-IAM5[Resource::${flatten(Stack.of(scope).resolve(resource))}]`;
