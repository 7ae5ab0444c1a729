import { ModelCard } from '#domain/card';
import {
  CreateModelBody,
  ListModelsQuery,
  Model,
  ModelListItem,
  ModelPath,
  UpdateModelBody,
} from '#domain/model';
import { defineRoutes } from '../route.ts';
import { CardOut, listOf } from '../schemas.ts';

/** Models and their cards (served by the models function). */
export const modelsRoutes = defineRoutes('models', [
  {
    method: 'POST',
    path: '/v1/models',
    operationId: 'createModel',
    description:
      'Creates a model: the named thing that versions, aliases, a card and an owning team hang off. `owner` names who answers for the model (a principal or a team name, shown in the inventory); `owners` is the team that may act on it (principals or `*` patterns such as `arn:aws:sts::123456789012:assumed-role/CiPublisher/*`), by default `owner` and the creator, so the pipeline that creates a model keeps registering its versions. `riskTier: high` makes lineage (datasets, code, image) mandatory at every registration. 409 when the name exists.',
    auth: 'iam',
    role: 'publisher',
    summary: 'Create a model',
    body: CreateModelBody,
    headers: { idempotencyKey: true },
    responses: { 201: { description: 'created', schema: Model } },
    problems: [400, 403, 409, 413, 422],
  },
  {
    method: 'GET',
    path: '/v1/models',
    operationId: 'listModels',
    description:
      'Models by name, a page at a time (`limit`, `cursor`). Filter by name prefix or by one tag (`tag=key=value`).',
    auth: 'iam',
    role: 'reader',
    summary: 'List models',
    query: ListModelsQuery,
    responses: { 200: { description: 'a page of models', schema: listOf(ModelListItem, 'ModelList') } },
    problems: [400, 403],
  },
  {
    method: 'GET',
    path: '/v1/models/{model}',
    operationId: 'getModel',
    description:
      "A model with its aliases, its latest version number and `mayAct`: who may change it and register its versions, in words (its owning team's publishers, and any admin).",
    auth: 'iam',
    role: 'reader',
    summary: 'Read a model with its aliases',
    params: ModelPath,
    responses: { 200: { description: 'the model', schema: Model } },
    problems: [403, 404],
  },
  {
    method: 'PATCH',
    path: '/v1/models/{model}',
    operationId: 'updateModel',
    description:
      "Changes the fields given and keeps the others. Only the owning team (`owners`, publishers among them) or an admin may; `owners` edits the team itself. With `If-Match` (the ETag of a read), a change made since that read gets a 412. A new `owner` without `owners` takes the old owner's place in the team.",
    auth: 'iam',
    role: 'owner',
    summary: 'Change model metadata',
    params: ModelPath,
    body: UpdateModelBody,
    bodyOptional: true,
    headers: { ifMatch: true },
    responses: { 200: { description: 'the model', schema: Model } },
    problems: [400, 403, 404, 412],
  },
  {
    method: 'GET',
    path: '/v1/models/{model}/card',
    operationId: 'getCard',
    description:
      'The model card: purpose, intended use, limitations, inputs and outputs, the people responsible, validations done and planned, validity end, risk tier and exceptions.',
    auth: 'iam',
    role: 'reader',
    summary: 'The model card',
    params: ModelPath,
    responses: { 200: { description: 'the card', schema: CardOut } },
    problems: [403, 404],
  },
  {
    method: 'PUT',
    path: '/v1/models/{model}/card',
    operationId: 'putCard',
    description:
      'Replaces the whole card (fields left out are removed). The owning team or an admin; every change is an audit event with the card before and after. `If-Match` guards against overwriting a change made since your read.',
    auth: 'iam',
    role: 'owner',
    summary: 'Replace the model card (audited)',
    params: ModelPath,
    body: ModelCard,
    headers: { ifMatch: true },
    responses: { 200: { description: 'the card', schema: CardOut } },
    problems: [400, 403, 404, 412],
  },
]);
