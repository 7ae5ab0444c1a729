import { type App, AspectPriority, Aspects, type IAspect, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks, NIST80053R5Checks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/**
 * Runs the AwsSolutions, Serverless and NIST 800-53 rev. 5 packs on every synth. A finding fails the synth unless it is
 * acknowledged, with its reason, on the one resource it concerns (`Validations.of(x).acknowledge`).
 * A pack reports failure on any finding, warning or error, so warnings fail the synth too.
 */
export const addNagPacks = (app: App): void => {
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app),
    new ServerlessChecks(app),
    new NIST80053R5Checks(app),
  );
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

/** `AwsSolutions-IAM5[Resource::<...>]` (as recorded, maybe with its `annotation::` namespace) -> `Resource::<...>`. */
const IAM5_FINDING = /^(?:annotation::)?AwsSolutions-IAM5\[(Resource::.*)\]$/i;

/**
 * A role whose grants outgrow IAM's inline policy size gets overflow managed policies
 * (`OverflowPolicy<n>`) at synth time, and the statements moved there leave their cdk-nag
 * acknowledgements behind on the role's default policy. This aspect, which runs after the split,
 * gives each overflow policy the acknowledgements of the wildcard resources it now holds, and no
 * other: many `dataBuckets` or `lambdaTargets` synthesize like a few.
 */
export class OverflowPolicyAcknowledgements implements IAspect {
  visit(node: IConstruct): void {
    if (!(node instanceof iam.ManagedPolicy) || !/^OverflowPolicy\d+$/.test(node.node.id)) return;
    const defaultPolicy = node.node.scope?.node.tryFindChild('DefaultPolicy');
    if (!defaultPolicy) return;
    const stack = Stack.of(node);
    const statements = stack.resolve(node.document.toJSON()) as { Statement?: { Resource?: unknown }[] };
    const held = new Set(
      (statements.Statement ?? []).flatMap((st) =>
        (Array.isArray(st.Resource) ? st.Resource : [st.Resource]).map((r) => `Resource::${flatten(r)}`),
      ),
    );
    for (const entry of defaultPolicy.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        const resource = IAM5_FINDING.exec(id)?.[1];
        if (resource && held.has(resource))
          Validations.of(node).acknowledge({ id: `AwsSolutions-IAM5[${resource}]`, reason });
      }
    }
  }
}

/**
 * Every grant in Steward lands in the default policy of the one role it is for, an inline
 * `AWS::IAM::Policy` that NIST 800-53's IAMNoInlinePolicy rule flags. This aspect acknowledges the
 * rule on each such policy that is attached to exactly one role and to no user or group, and on no
 * other: IAM's own guidance keeps inline policies for a strict one-to-one relationship between a
 * policy and its identity, which is what a role's default policy is.
 */
export class RoleOwnPolicyAcknowledgements implements IAspect {
  visit(node: IConstruct): void {
    if (!(node instanceof iam.CfnPolicy)) return;
    const attached = (list: unknown) => (Stack.of(node).resolve(list) as unknown[] | undefined) ?? [];
    if (attached(node.roles).length !== 1 || attached(node.users).length || attached(node.groups).length)
      return;
    Validations.of(node).acknowledge({
      id: 'NIST.800.53.R5-IAMNoInlinePolicy',
      reason:
        "This policy is one role's own (the grants CDK makes for that role only, attached to it alone " +
        'and to no user or group): the strict one-to-one relationship IAM recommends inline policies ' +
        'for. A managed policy would add a second resource to keep in step with no one to share it.',
    });
  }
}

/** Adds the aspects every Steward stack needs for its acknowledgements to hold at synth time. */
export const addAcknowledgementAspects = (stack: Stack): void => {
  // After the roles split their policies (a mutating aspect), before validation.
  Aspects.of(stack).add(new OverflowPolicyAcknowledgements(), { priority: AspectPriority.READONLY });
  Aspects.of(stack).add(new RoleOwnPolicyAcknowledgements(), { priority: AspectPriority.READONLY });
};
