import { defineRoutes, type HttpMethod, type RouteRole } from '../route.ts';
import { AnyObject } from '../schemas.ts';

const MLFLOW = '/api/2.0/mlflow';

/**
 * An MLflow route: MLflow's protocol documents it, and its operation parses its own input (MLflow
 * ignores fields it does not know; its errors are `{error_code, message}`). The role is checked
 * before anything is read; `owner` operations check the model's team once it is read.
 */
const mlflow = <const Id extends string>(
  method: HttpMethod,
  path: string,
  operationId: Id,
  role: RouteRole,
  status: 200 | 302 | 404 = 200,
) => ({
  method,
  path: path.startsWith('/') ? path : `${MLFLOW}/${path}`,
  operationId,
  auth: 'iam' as const,
  role,
  protocol: 'mlflow' as const,
  parsesOwnInput: true as const,
  responses: {
    [status]:
      status === 302
        ? { description: 'a redirect to a presigned GET of the file' }
        : { description: status === 200 ? 'as MLflow answers it' : 'ENDPOINT_NOT_FOUND', schema: AnyObject },
  },
});

/**
 * The MLflow Model Registry protocol (as the MLflow 2.x client calls it) and MLflow's artifact
 * proxy. Unknown paths under the prefixes answer ENDPOINT_NOT_FOUND, which the client relies on to
 * fall back between endpoints.
 */
export const mlflowRoutes = defineRoutes('mlflow', [
  mlflow('POST', 'registered-models/create', 'mlflowCreateRegisteredModel', 'publisher'),
  mlflow('GET', 'registered-models/get', 'mlflowGetRegisteredModel', 'reader'),
  mlflow('POST', 'registered-models/rename', 'mlflowRenameRegisteredModel', 'owner'),
  mlflow('PATCH', 'registered-models/update', 'mlflowUpdateRegisteredModel', 'owner'),
  mlflow('DELETE', 'registered-models/delete', 'mlflowDeleteRegisteredModel', 'owner'),
  mlflow('GET', 'registered-models/search', 'mlflowSearchRegisteredModels', 'reader'),
  mlflow('POST', 'registered-models/get-latest-versions', 'mlflowGetLatestVersions', 'reader'),
  mlflow('GET', 'registered-models/get-latest-versions', 'mlflowGetLatestVersions', 'reader'),
  mlflow('POST', 'registered-models/set-tag', 'mlflowSetRegisteredModelTag', 'owner'),
  mlflow('DELETE', 'registered-models/delete-tag', 'mlflowDeleteRegisteredModelTag', 'owner'),
  mlflow('POST', 'registered-models/alias', 'mlflowSetAlias', 'owner'),
  mlflow('GET', 'registered-models/alias', 'mlflowGetAlias', 'reader'),
  mlflow('DELETE', 'registered-models/alias', 'mlflowDeleteAlias', 'owner'),
  mlflow('POST', 'model-versions/create', 'mlflowCreateModelVersion', 'owner'),
  mlflow('GET', 'model-versions/get', 'mlflowGetModelVersion', 'reader'),
  mlflow('PATCH', 'model-versions/update', 'mlflowUpdateModelVersion', 'owner'),
  mlflow('DELETE', 'model-versions/delete', 'mlflowDeleteModelVersion', 'owner'),
  mlflow('GET', 'model-versions/search', 'mlflowSearchModelVersions', 'reader'),
  mlflow('GET', 'model-versions/get-download-uri', 'mlflowGetDownloadUri', 'reader'),
  mlflow('POST', 'model-versions/set-tag', 'mlflowSetModelVersionTag', 'owner'),
  mlflow('DELETE', 'model-versions/delete-tag', 'mlflowDeleteModelVersionTag', 'owner'),
  mlflow('POST', 'model-versions/transition-stage', 'mlflowTransitionStage', 'owner'),
  ...(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const).map((m) =>
    mlflow(m, '{proxy+}', 'mlflowEndpointNotFound', 'authenticated', 404),
  ),
  mlflow('GET', '/api/2.0/mlflow-artifacts/artifacts', 'mlflowListArtifacts', 'reader'),
  mlflow('GET', '/api/2.0/mlflow-artifacts/artifacts/{path+}', 'mlflowDownloadArtifact', 'reader', 302),
]);
