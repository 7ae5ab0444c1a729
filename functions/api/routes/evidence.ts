import { EvidenceQuery, VersionPath } from '#domain/version';
import { defineRoutes } from '../route.ts';
import { Html } from '../schemas.ts';

/** The evidence pack of a version: one self-contained page an auditor files. */
export const evidenceRoutes = defineRoutes('evidence', [
  {
    method: 'GET',
    path: '/v1/models/{model}/versions/{version}/evidence',
    operationId: 'getEvidencePack',
    auth: 'iam',
    role: 'reader',
    summary: 'The evidence pack of a version, one self-contained HTML page to file',
    description:
      'Everything an auditor files about a version, read at one moment: the model card; the ' +
      'manifest with the artifact and dataset hashes; the lineage drawn; every approval with its ' +
      'quorum, decisions and refused attempts (`_attempts:<model>`); deployments with the periods ' +
      "the version served and rollbacks; drift runs with their figures and performance; the version's " +
      "audit events with the model's chain and its attempts chain verified, and each chain's head " +
      '(seq and hash). While nothing new is recorded, `GET /v1/audit/verify` answers the same ' +
      '`headHash`; later, the event of that seq still carries it. Styles and pictures are inline and ' +
      'nothing is fetched. A read: it changes nothing.',
    params: VersionPath,
    query: EvidenceQuery,
    responses: { 200: { description: 'the pack', content: { 'text/html': Html } } },
    problems: [400, 403, 404],
  },
]);
