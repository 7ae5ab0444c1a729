import { type Target as DomainTarget, targetId } from '#domain/deployment';
import { RecordTable } from '../components/table.tsx';
import type { Deployment, Model, Served, Target } from '../types.ts';
import { Badge, Show, Time, useData } from '../ui.tsx';

/**
 * Deployments, and per environment and target the served-by timeline: which version served when
 * (`GET /v1/environments/{env}/served`), with rollbacks marked: a stretch whose deployment was rolled
 * back ended by that rollback, and the stretch after it is the one the rollback put back (a
 * deployment can be rolled back only while it is the one serving).
 */
/** The served-by history's key for a target: the domain's own rule. */
export const targetIdOf = (t: Target): string => targetId(t as unknown as DomainTarget);

interface Lane {
  environment: string;
  targetId: string;
  stretches: (Served & { rollback: boolean; rolledBack: boolean })[];
}

export const Timeline = ({ lane, now }: { lane: Lane; now: number }) => {
  const ordered = [...lane.stretches].sort((a, b) => a.from.localeCompare(b.from));
  const start = ordered.length ? Date.parse(ordered[0]!.from) : now;
  const span = Math.max(now - start, 1);
  return (
    <section class="lane" aria-labelledby={`lane-${lane.environment}-${lane.targetId}`}>
      <h3 id={`lane-${lane.environment}-${lane.targetId}`}>
        {lane.environment} · <code>{lane.targetId}</code>
      </h3>
      <ol class="timeline" aria-label={`Served by, ${lane.environment} ${lane.targetId}, oldest first`}>
        {ordered.map((s) => {
          const from = Date.parse(s.from);
          const to = s.to ? Date.parse(s.to) : now;
          const left = ((from - start) / span) * 100;
          const width = Math.max(((to - from) / span) * 100, 1.5);
          return (
            <li key={`${s.from}-${s.deploymentId}`} class={s.rollback ? 'stretch rollback' : 'stretch'}>
              <div>
                <strong>
                  {s.model} v{s.version}
                </strong>
                {s.rolledBack ? (
                  <>
                    {' '}
                    <span class="badge badge-rolled_back">rolled back</span>
                  </>
                ) : null}
                {s.rollback ? (
                  <>
                    {' '}
                    <span class="badge badge-rolled_back">rollback</span>
                  </>
                ) : null}
                {s.to ? null : (
                  <>
                    {' '}
                    <span class="badge badge-ready">serving now</span>
                  </>
                )}
              </div>
              <div>
                <div class="small">
                  <Time at={s.from} /> → {s.to ? <Time at={s.to} /> : 'now'}
                </div>
                <div class="bar-track" aria-hidden="true">
                  <div
                    class={s.rollback ? 'bar rollback' : 'bar'}
                    style={{ left: `${left}%`, width: `${width}%` }}
                  >
                    v{s.version}
                  </div>
                </div>
              </div>
            </li>
          );
        })}
      </ol>
    </section>
  );
};

export const markRollbacks = (items: Served[], deployments: Map<string, Deployment>) => {
  const ordered = [...items].sort((a, b) => a.from.localeCompare(b.from));
  const rolledBack = (s: Served | undefined) => {
    const d = s && deployments.get(s.deploymentId);
    return d !== undefined && d.status === 'ROLLED_BACK' && d.version === s!.version && s!.to !== undefined;
  };
  return ordered.map((s, i) => ({ ...s, rolledBack: rolledBack(s), rollback: rolledBack(ordered[i - 1]) }));
};

export const ModelDeployments = ({ model }: { model: Model }) => {
  const [data] = useData(
    async (api) => {
      const deployments = await api.all<Deployment>(
        `/v1/models/${encodeURIComponent(model.name)}/deployments`,
      );
      const byId = new Map(deployments.map((d) => [d.id, d]));
      const lanes = new Map<string, { environment: string; targetId: string }>();
      for (const d of deployments) {
        const targetId = targetIdOf(d.target);
        lanes.set(`${d.environment} ${targetId}`, { environment: d.environment, targetId });
      }
      const served = await Promise.all(
        [...lanes.values()].map(async (lane) => {
          const out = await api.get<{ items: Served[] }>(
            `/v1/environments/${encodeURIComponent(lane.environment)}/served`,
            {
              target: lane.targetId,
            },
          );
          return {
            ...lane,
            stretches: markRollbacks(out.items, byId),
          };
        }),
      );
      return { deployments, lanes: served };
    },
    [model.name],
  );
  return (
    <Show data={data}>
      {({ deployments, lanes }) => (
        <>
          <h2>Served by, per environment and target</h2>
          {lanes.length === 0 ? <p class="muted">Never deployed.</p> : null}
          {lanes.map((lane) => (
            <Timeline key={`${lane.environment} ${lane.targetId}`} lane={lane} now={Date.now()} />
          ))}
          <h2>Deployments</h2>
          {deployments.length === 0 ? null : (
            <RecordTable
              name="deployments"
              caption="Deployments, newest first"
              columns={['Deployment', 'Version', 'Environment', 'Target', 'Operation', 'Status', 'Started']}
            >
              {deployments.map((d) => (
                <tr key={d.id}>
                  <th scope="row">
                    <code>{d.id.slice(0, 8)}</code>
                  </th>
                  <td>
                    v{d.version}
                    {d.previousVersion ? <span class="muted"> (was v{d.previousVersion})</span> : null}
                  </td>
                  <td>{d.environment}</td>
                  <td>
                    <code>{targetIdOf(d.target)}</code>
                  </td>
                  <td>
                    {d.operation}
                    {d.reason ? <span class="muted"> · {d.reason}</span> : null}
                  </td>
                  <td>
                    <Badge value={d.status} />
                    {d.statusReason ? <div class="small muted">{d.statusReason}</div> : null}
                  </td>
                  <td>
                    <Time at={d.createdAt} /> by {d.createdBy}
                  </td>
                </tr>
              ))}
            </RecordTable>
          )}
        </>
      )}
    </Show>
  );
};
