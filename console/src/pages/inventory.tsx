import { useState } from 'preact/hooks';
import { useSession } from '../context.ts';
import { href } from '../router.ts';
import type { InventoryRow } from '../types.ts';
import { Badge, PageTitle, Problem, Scroll, Show, saveBlob, Time, useData } from '../ui.tsx';

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
            <Scroll>
              <table>
                <caption class="visually-hidden">Model inventory</caption>
                <thead>
                  <tr>
                    <th scope="col">Model</th>
                    <th scope="col">Owner</th>
                    <th scope="col">Purpose</th>
                    <th scope="col">Risk tier</th>
                    <th scope="col">Versions</th>
                    <th scope="col">Deployed</th>
                    <th scope="col">Last approval</th>
                    <th scope="col">Last drift</th>
                    <th scope="col">Health</th>
                    <th scope="col">Valid until</th>
                  </tr>
                </thead>
                <tbody>
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
                        {Object.entries(r.deployed).length === 0
                          ? 'nowhere'
                          : Object.entries(r.deployed).map(([env, d]) => (
                              <span key={env} class="chip">
                                {env}: v{d.version}
                              </span>
                            ))}
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
                </tbody>
              </table>
            </Scroll>
          </>
        )}
      </Show>
    </>
  );
};
