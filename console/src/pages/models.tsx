import { Chips, RecordTable } from '../components/table.tsx';
import { href, navigate } from '../router.ts';
import type { InventoryRow, Model } from '../types.ts';
import { Badge, PageTitle, Show, Time, useData } from '../ui.tsx';

/**
 * The models: search by name, filter by tag (asked of the API), risk tier and owner; each with its
 * latest version and where it serves (the inventory's deployed summary).
 */
interface Filters {
  q: string;
  tag: string;
  risk: string;
  owner: string;
}

const matches = (m: Model, f: Filters) =>
  (!f.q || m.name.toLowerCase().includes(f.q.toLowerCase())) &&
  (!f.risk || m.riskTier === f.risk) &&
  (!f.owner || [m.owner, ...(m.owners ?? [])].some((o) => o.toLowerCase().includes(f.owner.toLowerCase())));

export const ModelsPage = ({ query }: { query: URLSearchParams }) => {
  const filters: Filters = {
    q: query.get('q') ?? '',
    tag: query.get('tag') ?? '',
    risk: query.get('risk') ?? '',
    owner: query.get('owner') ?? '',
  };
  const tagValid = !filters.tag || /^[^=]+=.*$/.test(filters.tag);
  const [data] = useData(
    async (api) => {
      const [models, inventory] = await Promise.all([
        api.all<Model>('/v1/models', tagValid && filters.tag ? { tag: filters.tag } : {}),
        api.get<{ items: InventoryRow[] }>('/v1/inventory', { format: 'json' }),
      ]);
      return { models, serving: new Map(inventory.items.map((r) => [r.name, r.deployed])) };
    },
    [filters.tag],
  );

  const onSubmit = (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const value = (k: string) => String(form.get(k) ?? '').trim() || undefined;
    navigate(
      href(['models'], { q: value('q'), tag: value('tag'), risk: value('risk'), owner: value('owner') }),
    );
  };

  return (
    <>
      <PageTitle title="Models">Models</PageTitle>
      <form class="filters" onSubmit={onSubmit} aria-label="Filter models">
        <div>
          <label for="f-q">Name contains</label>
          <input id="f-q" name="q" type="search" value={filters.q} />
        </div>
        <div>
          <label for="f-tag">Tag</label>
          <input
            id="f-tag"
            name="tag"
            value={filters.tag}
            placeholder="key=value"
            aria-describedby="f-tag-help"
            aria-invalid={tagValid ? undefined : 'true'}
          />
          <span id="f-tag-help" class={tagValid ? 'help' : 'field-error'}>
            {tagValid ? 'As key=value' : 'A tag filter is key=value'}
          </span>
        </div>
        <div>
          <label for="f-risk">Risk tier</label>
          <select id="f-risk" name="risk" value={filters.risk}>
            <option value="">any</option>
            <option value="low">low</option>
            <option value="medium">medium</option>
            <option value="high">high</option>
          </select>
        </div>
        <div>
          <label for="f-owner">Owner</label>
          <input id="f-owner" name="owner" value={filters.owner} />
        </div>
        <div class="actions">
          <button type="submit">Filter</button>
          <a href={href(['models'])}>Clear</a>
        </div>
      </form>
      <Show data={data}>
        {({ models, serving }) => {
          const shown = models.filter((m) => matches(m, filters));
          return (
            <>
              <p role="status" class="muted">
                {shown.length} of {models.length} model{models.length === 1 ? '' : 's'}
              </p>
              {shown.length === 0 ? (
                <p>No model matches. Register one with the API or the CLI (`npx steward models create`).</p>
              ) : (
                <RecordTable
                  name="models"
                  caption="Models"
                  columns={['Name', 'Owner', 'Risk tier', 'Latest version', 'Serving', 'Tags', 'Updated']}
                >
                  {shown.map((m) => {
                    const where = Object.entries(serving.get(m.name) ?? {});
                    return (
                      <tr key={m.name}>
                        <th scope="row">
                          <a href={href(['models', m.name])}>{m.name}</a>
                          {m.description ? <div class="muted small">{m.description}</div> : null}
                        </th>
                        <td>{(m.owners?.length ? m.owners : [m.owner]).join(', ')}</td>
                        <td>
                          <Badge value={m.riskTier} />
                        </td>
                        <td>
                          {m.latestVersion > 0 ? (
                            <a href={href(['models', m.name, 'versions', m.latestVersion])}>
                              v{m.latestVersion}
                            </a>
                          ) : (
                            '–'
                          )}
                        </td>
                        <td>
                          <Chips
                            items={where.map(([env, d]) => [env, `${env}: v${d.version}`])}
                            empty="nowhere"
                          />
                        </td>
                        <td>
                          <Chips
                            items={Object.entries(m.tags ?? {}).map(([k, v]) => [k, `${k}=${v}`])}
                            empty=""
                          />
                        </td>
                        <td>
                          <Time at={m.updatedAt} />
                        </td>
                      </tr>
                    );
                  })}
                </RecordTable>
              )}
            </>
          );
        }}
      </Show>
    </>
  );
};
