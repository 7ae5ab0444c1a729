import { listModels, type ModelItem } from '#adapters/registry-table';
import { inventoryRoutes } from '#api/routes/inventory';
import { httpHandler, json, operationsFor } from '#commons/http';
import { type InventoryRow, toCsv } from '#domain/inventory';

/**
 * The model inventory: one row per model, for model-risk teams. Summaries that later workflows
 * keep on the model item (deployments per environment, last approval, last drift and health
 * status) appear here as they are written; they are empty until then.
 */
interface ModelSummaries {
  deployed?: Record<string, { version: number; since: string }>;
  lastApproval?: { id: string; environment: string; version: number; status: string; at: string };
  lastDrift?: { status: string; at: string; driftedShare?: number };
  health?: { status: string; at: string };
  validityEnd?: string;
}

const row = (m: ModelItem & ModelSummaries) => ({
  name: m.name,
  owner: m.owner,
  purpose: m.purpose,
  riskTier: m.riskTier,
  versions: m.latestVersion,
  deployed: m.deployed ?? {},
  lastApproval: m.lastApproval,
  lastDriftStatus: m.lastDrift?.status,
  lastDrift: m.lastDrift,
  health: m.health?.status,
  validityEnd: m.validityEnd,
  updatedAt: m.updatedAt,
});

const csvRow = (r: ReturnType<typeof row>): InventoryRow => ({
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
    const rows: ReturnType<typeof row>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await listModels({ limit: 100, ...(startKey ? { startKey } : {}) });
      rows.push(...page.items.map((m) => row(m as ModelItem & ModelSummaries)));
      startKey = page.lastKey;
    } while (startKey);
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
