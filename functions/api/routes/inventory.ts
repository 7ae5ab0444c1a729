import * as z from 'zod';
import { InventoryQuery } from '#domain/inventory';
import { defineRoutes } from '../route.ts';
import { AnyObject } from '../schemas.ts';

export const inventoryRoutes = defineRoutes('inventory', [
  {
    method: 'GET',
    path: '/v1/inventory',
    operationId: 'getInventory',
    auth: 'iam',
    role: 'reader',
    summary: 'One row per model (JSON or CSV)',
    query: InventoryQuery,
    responses: {
      200: {
        description: 'the inventory',
        content: { 'application/json': z.object({ items: z.array(AnyObject) }), 'text/csv': z.string() },
      },
    },
    problems: [400, 403],
  },
]);
