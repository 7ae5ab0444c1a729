/**
 * The route table: the one place that says which method and path exist, which function serves
 * them and whether API Gateway authorizes them with IAM. The CDK app builds the REST API from it,
 * the local HTTP adapter matches requests against it, and the OpenAPI document is generated from
 * it. Data only: importing it pulls no handler code into a bundle.
 */
export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One Lambda function per resource group. The name is also the entry file `functions/http/<fn>.ts`. */
export type FunctionGroup =
  | 'meta'
  | 'models'
  | 'versions'
  | 'aliases'
  | 'lineage'
  | 'audit'
  | 'environments'
  | 'inventory'
  | 'approvals'
  | 'approval-links'
  | 'deployments'
  | 'monitoring'
  | 'mlflow';

export interface Route {
  readonly method: HttpMethod;
  /** The API Gateway resource path, with `{param}` placeholders. */
  readonly path: string;
  readonly fn: FunctionGroup;
  readonly operationId: string;
  /** `none` only for the public routes; everything else is IAM-authorized on AWS. */
  readonly auth: 'iam' | 'none';
  /** A page for people: answers and errors are HTML, not JSON. */
  readonly page?: true;
  /** A path parameter that is a secret: never logged, never in an access log. */
  readonly secretParam?: string;
  /**
   * MLflow's REST protocol: errors are `{error_code, message}` as MLflow answers them, not
   * problem+json, and the route is left out of Steward's OpenAPI document (MLflow documents it).
   */
  readonly protocol?: 'mlflow';
}

const MLFLOW = '/api/2.0/mlflow';
const mlflow = (method: HttpMethod, path: string, operationId: string): Route => ({
  method,
  path: `${MLFLOW}/${path}`,
  fn: 'mlflow',
  operationId,
  auth: 'iam',
  protocol: 'mlflow',
});

/**
 * The MLflow Model Registry protocol (as the MLflow 2.x client calls it) and MLflow's artifact
 * proxy. Unknown paths under the prefixes answer ENDPOINT_NOT_FOUND, which the client relies on to
 * fall back between endpoints.
 */
const mlflowRoutes: Route[] = [
  mlflow('POST', 'registered-models/create', 'mlflowCreateRegisteredModel'),
  mlflow('GET', 'registered-models/get', 'mlflowGetRegisteredModel'),
  mlflow('POST', 'registered-models/rename', 'mlflowRenameRegisteredModel'),
  mlflow('PATCH', 'registered-models/update', 'mlflowUpdateRegisteredModel'),
  mlflow('DELETE', 'registered-models/delete', 'mlflowDeleteRegisteredModel'),
  mlflow('GET', 'registered-models/search', 'mlflowSearchRegisteredModels'),
  mlflow('POST', 'registered-models/get-latest-versions', 'mlflowGetLatestVersions'),
  mlflow('GET', 'registered-models/get-latest-versions', 'mlflowGetLatestVersions'),
  mlflow('POST', 'registered-models/set-tag', 'mlflowSetRegisteredModelTag'),
  mlflow('DELETE', 'registered-models/delete-tag', 'mlflowDeleteRegisteredModelTag'),
  mlflow('POST', 'registered-models/alias', 'mlflowSetAlias'),
  mlflow('GET', 'registered-models/alias', 'mlflowGetAlias'),
  mlflow('DELETE', 'registered-models/alias', 'mlflowDeleteAlias'),
  mlflow('POST', 'model-versions/create', 'mlflowCreateModelVersion'),
  mlflow('GET', 'model-versions/get', 'mlflowGetModelVersion'),
  mlflow('PATCH', 'model-versions/update', 'mlflowUpdateModelVersion'),
  mlflow('DELETE', 'model-versions/delete', 'mlflowDeleteModelVersion'),
  mlflow('GET', 'model-versions/search', 'mlflowSearchModelVersions'),
  mlflow('GET', 'model-versions/get-download-uri', 'mlflowGetDownloadUri'),
  mlflow('POST', 'model-versions/set-tag', 'mlflowSetModelVersionTag'),
  mlflow('DELETE', 'model-versions/delete-tag', 'mlflowDeleteModelVersionTag'),
  mlflow('POST', 'model-versions/transition-stage', 'mlflowTransitionStage'),
  ...(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const).map((m) =>
    mlflow(m, '{proxy+}', 'mlflowEndpointNotFound'),
  ),
  {
    method: 'GET',
    path: '/api/2.0/mlflow-artifacts/artifacts',
    fn: 'mlflow',
    operationId: 'mlflowListArtifacts',
    auth: 'iam',
    protocol: 'mlflow',
  },
  {
    method: 'GET',
    path: '/api/2.0/mlflow-artifacts/artifacts/{path+}',
    fn: 'mlflow',
    operationId: 'mlflowDownloadArtifact',
    auth: 'iam',
    protocol: 'mlflow',
  },
];

export const routes: readonly Route[] = [
  { method: 'GET', path: '/v1/health', fn: 'meta', operationId: 'getHealth', auth: 'none' },
  { method: 'GET', path: '/v1/openapi.json', fn: 'meta', operationId: 'getOpenApi', auth: 'iam' },

  { method: 'POST', path: '/v1/models', fn: 'models', operationId: 'createModel', auth: 'iam' },
  { method: 'GET', path: '/v1/models', fn: 'models', operationId: 'listModels', auth: 'iam' },
  { method: 'GET', path: '/v1/models/{model}', fn: 'models', operationId: 'getModel', auth: 'iam' },
  { method: 'PATCH', path: '/v1/models/{model}', fn: 'models', operationId: 'updateModel', auth: 'iam' },

  {
    method: 'POST',
    path: '/v1/models/{model}/versions',
    fn: 'versions',
    operationId: 'registerVersion',
    auth: 'iam',
  },
  {
    method: 'GET',
    path: '/v1/models/{model}/versions',
    fn: 'versions',
    operationId: 'listVersions',
    auth: 'iam',
  },
  {
    method: 'GET',
    path: '/v1/models/{model}/versions/{version}',
    fn: 'versions',
    operationId: 'getVersion',
    auth: 'iam',
  },
  {
    method: 'PATCH',
    path: '/v1/models/{model}/versions/{version}',
    fn: 'versions',
    operationId: 'updateVersion',
    auth: 'iam',
  },
  {
    method: 'POST',
    path: '/v1/models/{model}/versions/{version}/commit',
    fn: 'versions',
    operationId: 'commitVersion',
    auth: 'iam',
  },
  {
    method: 'GET',
    path: '/v1/models/{model}/versions/{version}/artifact',
    fn: 'versions',
    operationId: 'getArtifactUrl',
    auth: 'iam',
  },
  {
    method: 'POST',
    path: '/v1/models/{model}/versions/{version}/transitions',
    fn: 'versions',
    operationId: 'transitionVersion',
    auth: 'iam',
  },

  {
    method: 'PUT',
    path: '/v1/models/{model}/aliases/{alias}',
    fn: 'aliases',
    operationId: 'setAlias',
    auth: 'iam',
  },
  {
    method: 'GET',
    path: '/v1/models/{model}/aliases/{alias}',
    fn: 'aliases',
    operationId: 'getAlias',
    auth: 'iam',
  },
  {
    method: 'DELETE',
    path: '/v1/models/{model}/aliases/{alias}',
    fn: 'aliases',
    operationId: 'deleteAlias',
    auth: 'iam',
  },

  { method: 'GET', path: '/v1/models/{model}/card', fn: 'models', operationId: 'getCard', auth: 'iam' },
  { method: 'PUT', path: '/v1/models/{model}/card', fn: 'models', operationId: 'putCard', auth: 'iam' },
  {
    method: 'GET',
    path: '/v1/models/{model}/versions/{version}/manifest',
    fn: 'versions',
    operationId: 'getManifest',
    auth: 'iam',
  },

  { method: 'POST', path: '/v1/lineage/edges', fn: 'lineage', operationId: 'createEdge', auth: 'iam' },
  { method: 'GET', path: '/v1/lineage', fn: 'lineage', operationId: 'getLineage', auth: 'iam' },

  { method: 'GET', path: '/v1/audit', fn: 'audit', operationId: 'listAudit', auth: 'iam' },
  { method: 'GET', path: '/v1/audit/verify', fn: 'audit', operationId: 'verifyAudit', auth: 'iam' },

  {
    method: 'GET',
    path: '/v1/environments',
    fn: 'environments',
    operationId: 'listEnvironments',
    auth: 'iam',
  },
  {
    method: 'PUT',
    path: '/v1/environments/{environment}',
    fn: 'environments',
    operationId: 'putEnvironment',
    auth: 'iam',
  },

  { method: 'GET', path: '/v1/inventory', fn: 'inventory', operationId: 'getInventory', auth: 'iam' },

  {
    method: 'POST',
    path: '/v1/models/{model}/versions/{version}/approvals',
    fn: 'approvals',
    operationId: 'requestApproval',
    auth: 'iam',
  },
  { method: 'GET', path: '/v1/approvals/{id}', fn: 'approvals', operationId: 'getApproval', auth: 'iam' },
  {
    method: 'POST',
    path: '/v1/approvals/{id}/decisions',
    fn: 'approvals',
    operationId: 'decideApproval',
    auth: 'iam',
  },

  {
    method: 'POST',
    path: '/v1/models/{model}/versions/{version}/deployments',
    fn: 'deployments',
    operationId: 'createDeployment',
    auth: 'iam',
  },
  {
    method: 'GET',
    path: '/v1/deployments/{id}',
    fn: 'deployments',
    operationId: 'getDeployment',
    auth: 'iam',
  },
  {
    method: 'GET',
    path: '/v1/models/{model}/deployments',
    fn: 'deployments',
    operationId: 'listDeployments',
    auth: 'iam',
  },
  {
    method: 'POST',
    path: '/v1/deployments/{id}/rollback',
    fn: 'deployments',
    operationId: 'rollbackDeployment',
    auth: 'iam',
  },
  {
    method: 'DELETE',
    path: '/v1/deployments/{id}',
    fn: 'deployments',
    operationId: 'decommissionDeployment',
    auth: 'iam',
  },
  {
    method: 'GET',
    path: '/v1/environments/{environment}/served',
    fn: 'deployments',
    operationId: 'getServedHistory',
    auth: 'iam',
  },

  {
    method: 'PUT',
    path: '/v1/models/{model}/versions/{version}/baseline',
    fn: 'monitoring',
    operationId: 'putBaseline',
    auth: 'iam',
  },
  {
    method: 'PUT',
    path: '/v1/deployments/{id}/monitoring',
    fn: 'monitoring',
    operationId: 'putMonitoring',
    auth: 'iam',
  },
  {
    method: 'GET',
    path: '/v1/deployments/{id}/monitoring',
    fn: 'monitoring',
    operationId: 'getMonitoring',
    auth: 'iam',
  },
  {
    method: 'DELETE',
    path: '/v1/deployments/{id}/monitoring',
    fn: 'monitoring',
    operationId: 'deleteMonitoring',
    auth: 'iam',
  },
  {
    method: 'POST',
    path: '/v1/deployments/{id}/drift-runs',
    fn: 'monitoring',
    operationId: 'createDriftRun',
    auth: 'iam',
  },
  {
    method: 'GET',
    path: '/v1/deployments/{id}/drift-runs',
    fn: 'monitoring',
    operationId: 'listDriftRuns',
    auth: 'iam',
  },
  {
    method: 'GET',
    path: '/v1/deployments/{id}/drift-runs/{run}/report',
    fn: 'monitoring',
    operationId: 'getDriftReport',
    auth: 'iam',
  },

  ...mlflowRoutes,

  // Public: an approver's personal link. GET and HEAD show the page and change nothing; POST decides.
  {
    method: 'GET',
    path: '/v1/approval-links/{secret}',
    fn: 'approval-links',
    operationId: 'viewApprovalLink',
    auth: 'none',
    page: true,
    secretParam: 'secret',
  },
  {
    method: 'HEAD',
    path: '/v1/approval-links/{secret}',
    fn: 'approval-links',
    operationId: 'headApprovalLink',
    auth: 'none',
    page: true,
    secretParam: 'secret',
  },
  {
    method: 'POST',
    path: '/v1/approval-links/{secret}',
    fn: 'approval-links',
    operationId: 'decideByLink',
    auth: 'none',
    page: true,
    secretParam: 'secret',
  },
];

export const functionGroups: readonly FunctionGroup[] = [...new Set(routes.map((r) => r.fn))];
