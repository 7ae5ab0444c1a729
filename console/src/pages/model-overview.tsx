import { Chips, RecordTable } from '../components/table.tsx';
import { href } from '../router.ts';
import type { Model, Version } from '../types.ts';
import { Badge, Facts, Show, Time, useData } from '../ui.tsx';

/** The card, the aliases and the versions with their status and metrics. */
type Card = CardFields & { updatedAt?: string; updatedBy?: string };

interface CardFields {
  purpose?: string;
  intendedUse?: string;
  limitations?: string;
  inputs?: string;
  outputs?: string;
  owners?: string[];
  developers?: string[];
  validators?: string[];
  validation?: {
    done?: { date: string; by: string; summary?: string; outcome?: string }[];
    planned?: { date: string; scope?: string }[];
  };
  validityEnd?: string;
  riskTier?: string;
  exceptions?: { description: string; approvedBy?: string; expires?: string }[];
}

export const CardView = ({ card }: { card: CardFields }) => (
  <>
    <Facts
      rows={[
        ['Purpose', card.purpose],
        ['Intended use', card.intendedUse],
        ['Limitations', card.limitations],
        ['Inputs', card.inputs],
        ['Outputs', card.outputs],
        ['Owners', card.owners?.join(', ')],
        ['Developers', card.developers?.join(', ')],
        ['Validators', card.validators?.join(', ')],
        ['Risk tier', card.riskTier],
        ['Valid until', card.validityEnd],
        [
          'Validations done',
          card.validation?.done?.length
            ? card.validation.done
                .map((v) => `${v.date} by ${v.by}${v.outcome ? ` (${v.outcome})` : ''}`)
                .join('; ')
            : undefined,
        ],
        [
          'Validations planned',
          card.validation?.planned?.length
            ? card.validation.planned.map((v) => `${v.date}${v.scope ? `: ${v.scope}` : ''}`).join('; ')
            : undefined,
        ],
        [
          'Exceptions',
          card.exceptions?.length
            ? card.exceptions
                .map(
                  (e) =>
                    `${e.description}${e.approvedBy ? ` (by ${e.approvedBy})` : ''}${e.expires ? `, until ${e.expires}` : ''}`,
                )
                .join('; ')
            : undefined,
        ],
      ]}
    />
  </>
);

export const ModelOverview = ({ model }: { model: Model }) => {
  const path = `/v1/models/${encodeURIComponent(model.name)}`;
  const [card] = useData((api) => api.get<Card>(`${path}/card`), [model.name]);
  const [versions] = useData((api) => api.all<Version>(`${path}/versions`), [model.name]);
  const aliases = Object.entries(model.aliases ?? {});
  return (
    <>
      <section aria-labelledby="card-h">
        <h2 id="card-h">Model card</h2>
        <Show data={card}>
          {(c) => (
            <>
              <CardView card={c} />
              {c.updatedAt ? (
                <p class="muted small">
                  Last changed <Time at={c.updatedAt} /> by {c.updatedBy}
                </p>
              ) : null}
            </>
          )}
        </Show>
      </section>
      <section aria-labelledby="aliases-h">
        <h2 id="aliases-h">Aliases</h2>
        {aliases.length === 0 ? (
          <p class="muted">No aliases.</p>
        ) : (
          <ul>
            {aliases.map(([alias, v]) => (
              <li key={alias}>
                <code>{alias}</code> → <a href={href(['models', model.name, 'versions', v])}>version {v}</a>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="versions-h">
        <h2 id="versions-h">Versions</h2>
        <Show data={versions}>
          {(items) =>
            items.length === 0 ? (
              <p class="muted">No versions yet.</p>
            ) : (
              <RecordTable
                name="versions"
                caption="Versions, newest first"
                columns={['Version', 'Status', 'Metrics', 'Serving', 'Approvals', 'Registered']}
              >
                {items.map((v) => (
                  <tr key={v.version}>
                    <th scope="row">
                      <a href={href(['models', model.name, 'versions', v.version])}>v{v.version}</a>
                    </th>
                    <td>
                      <Badge value={v.status} />
                    </td>
                    <td>
                      <Chips items={Object.entries(v.metrics).map(([k, m]) => [k, `${k} ${m}`])} empty="" />
                    </td>
                    <td>
                      <Chips
                        items={v.deployments.map((d) => [
                          `${d.environment}/${d.target}`,
                          `${d.environment}: ${d.target}`,
                        ])}
                      />
                    </td>
                    <td>
                      <Chips
                        items={v.approvals.map((a) => [
                          a.environment,
                          `${a.environment}: ${a.status?.toLowerCase()}`,
                        ])}
                      />
                    </td>
                    <td>
                      <Time at={v.createdAt} /> by {v.createdBy}
                    </td>
                  </tr>
                ))}
              </RecordTable>
            )
          }
        </Show>
      </section>
    </>
  );
};
