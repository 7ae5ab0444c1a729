import { useState } from 'preact/hooks';
import { Chips, RecordTable } from '../components/table.tsx';
import { useSession } from '../context.ts';
import { href } from '../router.ts';
import type { InventoryRow } from '../types.ts';
import { Badge, PageTitle, Problem, Show, saveBlob, Time, useData } from '../ui.tsx';

/** The MRM inventory, one row per model, and the same rows as the API's CSV. */
export const InventoryPage = () => {
  const { api } = useSession();
  const [data] = useData(
    (a) => a.get<{ generatedAt: string; items: InventoryRow[] }>('/v1/inventory', { format: 'json' }),
    [],
  );
  const [exportError, setExportError] = useState<unknown>(undefined);
  const exportCsv = async () => {
    setExportError(undefined);
    try {
      // The API's own CSV (RFC 4180, formula-safe); fetched so local mode can send its identity header.
      saveBlob(await api.blob('/v1/inventory?format=csv', 'text/csv'), 'steward-inventory.csv');
    } catch (error) {
      setExportError(error);
    }
  };
  return (
    <>
      <PageTitle title="Inventory">Model inventory</PageTitle>
      <p>
        <button type="button" onClick={exportCsv}>
          Export CSV
        </button>
      </p>
      {exportError ? <Problem error={exportError} /> : null}
      <Show data={data}>
        {({ generatedAt, items }) => (
          <>
            <p class="muted">
              {items.length} model{items.length === 1 ? '' : 's'}, as of <Time at={generatedAt} />
            </p>
            <RecordTable
              caption="Model inventory"
              columns={[
                'Model',
                'Owner',
                'Purpose',
                'Risk tier',
                'Versions',
                'Deployed',
                'Last approval',
                'Last drift',
                'Health',
                'Valid until',
              ]}
            >
              {items.map((r) => (
                <tr key={r.name}>
                  <th scope="row">
                    <a href={href(['models', r.name])}>{r.name}</a>
                  </th>
                  <td>{r.owner}</td>
                  <td>{r.purpose ?? '–'}</td>
                  <td>
                    <Badge value={r.riskTier} />
                  </td>
                  <td>{r.versions}</td>
                  <td>
                    <Chips
                      items={Object.entries(r.deployed).map(([env, d]) => [env, `${env}: v${d.version}`])}
                      empty="nowhere"
                    />
                  </td>
                  <td>
                    {r.lastApproval ? (
                      <>
                        {r.lastApproval.environment} v{r.lastApproval.version}{' '}
                        <Badge value={r.lastApproval.status} />
                      </>
                    ) : (
                      '–'
                    )}
                  </td>
                  <td>{r.lastDriftStatus ? <Badge value={r.lastDriftStatus} /> : '–'}</td>
                  <td>{r.health ? <Badge value={r.health} /> : '–'}</td>
                  <td>{r.validityEnd ?? '–'}</td>
                </tr>
              ))}
            </RecordTable>
          </>
        )}
      </Show>
    </>
  );
};
