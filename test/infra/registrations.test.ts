import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { REGISTRATION_DEFINITION_FILE } from '../../infra/aws/registrations.ts';
import { withStackPartition } from '../../infra/aws/workflow-state-machine.ts';
import {
  actionsOf,
  grantsByResource,
  logicalId,
  roleStatements,
  type Synthesized,
  synthStack,
} from './synth.ts';

/**
 * The registration-by-reference workflow: a copy task that outlives API Gateway's 29 s, reading
 * only the buckets of context sourceBuckets and writing only under models/ of the artifacts bucket.
 */
describe('registration workflow', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthStack({
      sourceBuckets: [
        'ml-runs',
        { bucket: 'ml-secure', keyArn: 'arn:aws:kms:eu-west-1:123456789012:key/abc-123' },
      ],
    });
  });

  const statementsOf = (fn: 'copy' | 'fail') =>
    roleStatements(s.template, logicalId(s.stack.registrations[fn].role)).filter(
      (st) => st.Effect === 'Allow',
    );

  it('runs the copy for up to 15 minutes from statemachines/registration.asl.json', () => {
    const copy = s.template.toJSON().Resources[logicalId(s.stack.registrations.copy.fn)];
    const machine = s.template.toJSON().Resources[logicalId(s.stack.registrations.stateMachine)];

    expect(copy.Properties.Timeout).toBe(900);
    expect(machine.Properties.DefinitionString).toBe(
      withStackPartition(readFileSync(REGISTRATION_DEFINITION_FILE, 'utf8')),
    );
    expect(JSON.parse(copy.Properties.Environment.Variables.SOURCE_BUCKETS)).toEqual([
      'ml-runs',
      'ml-secure',
    ]);
  });

  it('reads only the source buckets and writes only under models/ of the artifacts bucket', () => {
    const grants = grantsByResource(statementsOf('copy'));
    const s3Grants = Object.fromEntries(
      Object.entries(grants).filter(([, actions]) => actions.some((a) => a.startsWith('s3:'))),
    );

    expect(Object.values(s3Grants).flat().sort()).toEqual(
      [
        's3:AbortMultipartUpload',
        's3:GetObject',
        's3:PutObject',
        's3:GetObject',
        's3:ListBucket',
        's3:GetObject',
        's3:ListBucket',
      ].sort(),
    );
    const keys = Object.keys(s3Grants).join(' ');
    expect(keys).toContain('ml-runs/*');
    expect(keys).toContain('ml-secure/*');
    expect(keys).toContain('/models/*');
    // The source buckets are never written to, and nothing is deleted anywhere.
    for (const [resource, actions] of Object.entries(s3Grants))
      if (resource.includes('ml-'))
        expect(actions.filter((a) => a !== 's3:GetObject' && a !== 's3:ListBucket')).toEqual([]);
    expect(
      statementsOf('copy')
        .flatMap(actionsOf)
        .filter((a) => a.startsWith('s3:') && a.includes('Delete')),
    ).toEqual([]);
    const keyGrant = Object.entries(grants).find(([resource]) =>
      resource.startsWith('"arn:aws:kms:eu-west-1:123456789012:key/abc-123"'),
    );
    expect(keyGrant?.[1]).toEqual(['kms:Decrypt']);
    expect(keyGrant?.[0]).toContain('kms:ViaService');
  });

  it('gives the failure task the table only, no S3', () => {
    expect(
      statementsOf('fail')
        .flatMap(actionsOf)
        .filter((a) => a.startsWith('s3:')),
    ).toEqual([]);
  });
});
