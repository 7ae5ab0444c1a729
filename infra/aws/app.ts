import { App } from 'aws-cdk-lib';
import { readTargetAccountDeployRole, StewardDeployRoleStack } from './deploy-role-stack.ts';
import { addNagPacks } from './nag.ts';
import { StewardStack } from './steward-stack.ts';

const app = new App();
new StewardStack(app, 'Steward', { description: 'Steward: serverless ML model registry' });
// Only with `-c targetAccountDeployRole='{...}'`, deployed into a target account (docs/deploy-role.md).
const target = readTargetAccountDeployRole(app);
if (target)
  new StewardDeployRoleStack(app, 'StewardDeployRole', {
    description: 'Steward: the deploy role and SageMaker execution role in a target account',
    target,
  });
addNagPacks(app);
app.synth();
