import * as z from 'zod';
import { InventoryQuery } from '#domain/inventory';
import { defineRoutes } from '../route.ts';
import { InventoryRow } from '../schemas.ts';

export const inventoryRoutes = defineRoutes('inventory', [
  {
    method: 'GET',
    path: '/v1/inventory',
    operationId: 'getInventory',
    description:
      'One row per model for a model-risk inventory: owner, purpose, risk tier, versions, what is deployed where, last approval, last drift status, health, validity end. JSON, or CSV with `format=csv` or `Accept: text/csv` (cells that a spreadsheet would run as formulas are quoted).',
    auth: 'iam',
    role: 'reader',
    summary: 'One row per model (JSON or CSV)',
    query: InventoryQuery,
    responses: {
      200: {
        description: 'the inventory',
        content: {
          'application/json': z.object({
            generatedAt: z.iso
              .datetime()
              .meta({ description: 'When the inventory was read (ISO 8601 UTC).' }),
            items: z.array(InventoryRow).meta({
              description:
                'One row per model: name, owner, purpose, riskTier, versions, deployed (environment and target per version), lastApproval, lastDriftStatus, health, validityEnd, updatedAt (the CSV columns).',
            }),
          }),
          'text/csv': z.string(),
        },
      },
    },
    problems: [400, 403],
  },
]);
