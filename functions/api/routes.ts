import type { FunctionGroup, Route } from './route.ts';
import { aliasesRoutes } from './routes/aliases.ts';
import { approvalLinksRoutes } from './routes/approval-links.ts';
import { approvalsRoutes } from './routes/approvals.ts';
import { auditRoutes } from './routes/audit.ts';
import { deploymentsRoutes } from './routes/deployments.ts';
import { driftRunsRoutes } from './routes/drift-runs.ts';
import { environmentsRoutes } from './routes/environments.ts';
import { evidenceRoutes } from './routes/evidence.ts';
import { inventoryRoutes } from './routes/inventory.ts';
import { lineageRoutes } from './routes/lineage.ts';
import { metaRoutes } from './routes/meta.ts';
import { mlflowRoutes } from './routes/mlflow.ts';
import { modelsRoutes } from './routes/models.ts';
import { monitoringRoutes } from './routes/monitoring.ts';
import { versionsRoutes } from './routes/versions.ts';

export type { FunctionGroup, HttpMethod, Route, RouteEntry, RouteRole } from './route.ts';

/**
 * The route table: every operation of the API, one entry each, declared per function group in
 * `routes/<group>.ts` (method, path, role, zod schemas, answers, prose). The CDK app builds the
 * REST API from it, the local HTTP adapter matches requests against it, and the OpenAPI document
 * is generated from it. A handler imports only its own group's file, so its bundle carries only
 * its own schemas and no other handler's code.
 */
const byGroup: Record<FunctionGroup, readonly Route[]> = {
  meta: metaRoutes,
  models: modelsRoutes,
  versions: versionsRoutes,
  aliases: aliasesRoutes,
  lineage: lineageRoutes,
  audit: auditRoutes,
  environments: environmentsRoutes,
  inventory: inventoryRoutes,
  approvals: approvalsRoutes,
  deployments: deploymentsRoutes,
  monitoring: monitoringRoutes,
  'drift-runs': driftRunsRoutes,
  evidence: evidenceRoutes,
  mlflow: mlflowRoutes,
  'approval-links': approvalLinksRoutes,
};

export const routes: readonly Route[] = Object.values(byGroup).flat();

export const functionGroups: readonly FunctionGroup[] = Object.keys(byGroup) as FunctionGroup[];
