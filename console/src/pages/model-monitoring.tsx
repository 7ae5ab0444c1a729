import { ApiError } from '../api.ts';
import { LineChart } from '../components/chart.tsx';
import type { Deployment, DriftRun, Model } from '../types.ts';
import { Badge, Show, Time, useData } from '../ui.tsx';
import { targetIdOf } from './model-deployments.tsx';

/**
 * Monitoring per deployment: drift over time (PSI and Jensen-Shannon distance per feature per
 * run) as charts, and the latest report's own page (baseline and window histograms, drawn by the
 * server's histogram renderer) read from its presigned URL, in a sandboxed frame: its one script
 * (local times) runs in an opaque origin that cannot reach the console.
 */
interface Monitor {
  capture: { uri: string; format: string };
  schedule?: string;
  thresholds?: { psi?: number; jsDistance?: number };
  nextRunAt?: string;
}

const orMissing = async <T,>(load: Promise<T>): Promise<T | undefined> => {
  try {
    return await load;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  }
};

export const ModelMonitoring = ({ model }: { model: Model }) => {
  const [data] = useData(
    async (api) => {
      const deployments = await api.all<Deployment>(
        `/v1/models/${encodeURIComponent(model.name)}/deployments`,
      );
      const watched = await Promise.all(
        deployments.map(async (d) => {
          const path = `/v1/deployments/${encodeURIComponent(d.id)}`;
          const [monitor, runs] = await Promise.all([
            orMissing(api.get<Monitor>(`${path}/monitoring`)),
            api.all<DriftRun>(`${path}/drift-runs`, {}, 50),
          ]);
          const report =
            runs.length > 0
              ? await orMissing(api.get<{ url: string; runId: string }>(`${path}/drift-runs/latest/report`))
              : undefined;
          return { deployment: d, monitor, runs, report };
        }),
      );
      return watched.filter((w) => w.monitor || w.runs.length > 0);
    },
    [model.name],
  );
  return (
    <Show data={data}>
      {(watched) =>
        watched.length === 0 ? (
          <p class="muted">No deployment of this model is monitored yet.</p>
        ) : (
          watched.map(({ deployment: d, monitor, runs, report }) => {
            const oldestFirst = [...runs].reverse();
            const features = [...new Set(oldestFirst.flatMap((r) => (r.features ?? []).map((f) => f.name)))];
            const latest = runs[0];
            return (
              <section key={d.id} aria-labelledby={`mon-${d.id}`}>
                <h2 id={`mon-${d.id}`}>
                  v{d.version} in {d.environment} · <code>{targetIdOf(d.target)}</code>
                </h2>
                <p class="small">
                  {monitor ? (
                    <>
                      Capture <code>{monitor.capture.uri}</code> ({monitor.capture.format})
                      {monitor.schedule ? `, ${monitor.schedule}` : ''}
                      {monitor.nextRunAt ? (
                        <>
                          , next run <Time at={monitor.nextRunAt} />
                        </>
                      ) : null}
                    </>
                  ) : (
                    'Not monitored now.'
                  )}{' '}
                  {latest ? (
                    <>
                      · latest run <Time at={latest.at} />: <Badge value={latest.status} />,{' '}
                      {(latest.driftedShare * 100).toFixed(0)}% of features drifted, {latest.rows} rows
                    </>
                  ) : null}
                </p>
                {runs.length === 0 ? (
                  <p class="muted">No drift run yet.</p>
                ) : (
                  <>
                    <h3>Drift over time, per feature</h3>
                    <div class="charts">
                      {features.map((name) => (
                        <LineChart
                          key={name}
                          title={`${name}`}
                          threshold={
                            monitor?.thresholds?.psi
                              ? {
                                  value: monitor.thresholds.psi,
                                  label: `PSI limit ${monitor.thresholds.psi}`,
                                }
                              : undefined
                          }
                          series={[
                            {
                              name: 'PSI',
                              points: oldestFirst.map((r) => ({
                                at: r.at ?? r.window.to,
                                value: r.features?.find((f) => f.name === name)?.psi ?? null,
                              })),
                            },
                            {
                              name: 'JS distance',
                              points: oldestFirst.map((r) => ({
                                at: r.at ?? r.window.to,
                                value: r.features?.find((f) => f.name === name)?.jsDistance ?? null,
                              })),
                            },
                          ]}
                        />
                      ))}
                    </div>
                    {features.length === 0 ? (
                      <p class="muted">These runs predate per-feature figures in the list.</p>
                    ) : null}
                  </>
                )}
                {report ? (
                  <>
                    <h3>Latest report: histograms and figures</h3>
                    <p>
                      <a href={report.url} target="_blank" rel="noopener noreferrer">
                        Open the latest report in a new tab
                      </a>
                    </p>
                    <iframe
                      class="report"
                      title={`Latest drift report of v${d.version} in ${d.environment}`}
                      src={report.url}
                      sandbox="allow-scripts"
                      referrerpolicy="no-referrer"
                    />
                  </>
                ) : null}
              </section>
            );
          })
        )
      }
    </Show>
  );
};
