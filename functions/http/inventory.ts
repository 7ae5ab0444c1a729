import { inventoryRoutes } from '#api/routes/inventory';
import { httpHandler, json, operationsFor } from '#commons/http';
import { type InventoryRow, toCsv } from '#domain/inventory';
import { type InventoryEntry, inventory } from '#services/models';

/** The model inventory: one row per model, for model-risk teams, as JSON or CSV. */
const csvRow = (r: InventoryEntry): InventoryRow => ({
  ...r,
  deployed: Object.entries(r.deployed)
    .map(([env, d]) => `${env}=v${d.version}`)
    .join('; '),
  lastApproval: r.lastApproval
    ? `${r.lastApproval.environment} v${r.lastApproval.version} ${r.lastApproval.status}`
    : undefined,
});

export const operations = operationsFor(inventoryRoutes, {
  getInventory: async (request) => {
    const query = request.input.query;
    // `?format=` wins; else the Accept header says it (a browser link and curl alike).
    const format = query.format ?? ((request.headers.accept ?? '').includes('text/csv') ? 'csv' : 'json');
    const rows = await inventory();
    if (format === 'csv')
      return {
        statusCode: 200,
        body: toCsv(rows.map(csvRow)),
        headers: {
          'content-type': 'text/csv; charset=utf-8; header=present',
          'content-disposition': 'attachment; filename="steward-inventory.csv"',
        },
      };
    return json(200, { generatedAt: new Date().toISOString(), items: rows });
  },
});

export const handler = httpHandler(inventoryRoutes, operations);
