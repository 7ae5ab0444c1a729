import { App } from 'aws-cdk-lib';
import { addNagPacks } from './nag.ts';
import { StewardStack } from './steward-stack.ts';

const app = new App();
new StewardStack(app, 'Steward', { description: 'Steward: serverless ML model registry' });
addNagPacks(app);
app.synth();
