import { useState } from 'preact/hooks';
import { type Graph, nodeKey, parseModelVersionNode } from '#domain/lineage';
import { lineageLegend, lineageSvg } from '#presentation/lineage-svg';
import { ApprovalPanel } from '../components/approval.tsx';
import { useSession } from '../context.ts';
import { href } from '../router.ts';
import type { Approval, Model, Version } from '../types.ts';
import { Badge, Facts, KeyValues, Problem, Scroll, Show, saveBlob, short, Time, useData } from '../ui.tsx';

/**
 * One version: status, metrics, params, the artifact manifest, the reproducibility manifest, the
 * lineage drawn (the server's own SVG renderer, bundled), its approvals, and the evidence pack.
 */
interface Manifest {
  reproducible: boolean;
  missing: { path: string; message: string }[];
  framework?: string;
  code?: { repository: string; commit: string };
  image?: { uri: string; digest: string };
  datasets: { uri: string; sha256?: string; versionId?: string; role?: string }[];
  trainingRun?: { id: string; uri?: string };
}

const sizeOf = (n: number) =>
  n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`;

export const VersionPage = ({ model, version }: { model: Model; version: number; onChange?: () => void }) => {
  const { api } = useSession();
  const base = `/v1/models/${encodeURIComponent(model.name)}/versions/${version}`;
  const [data, reload] = useData(
    async (a) => {
      const v = await a.get<Version>(base);
      const [manifest, lineage, approvals] = await Promise.all([
        a.get<Manifest>(`${base}/manifest`),
        a.get<Graph>('/v1/lineage', {
          node: `model-version:${model.name}:${version}`,
          direction: 'both',
          depth: 3,
        }),
        Promise.all(
          v.approvals.flatMap((ap) =>
            ap.id ? [a.get<Approval>(`/v1/approvals/${encodeURIComponent(ap.id)}`)] : [],
          ),
        ),
      ]);
      return { v, manifest, lineage, approvals };
    },
    [model.name, version],
  );
  const [evidenceError, setEvidenceError] = useState<unknown>(undefined);
  const downloadEvidence = async () => {
    setEvidenceError(undefined);
    try {
      // Fetched rather than linked: local mode's identity header (and SigV4 on AWS) go with it.
      const blob = await api.blob(`${base}/evidence`, 'text/html');
      saveBlob(blob, `${model.name}-v${version}-evidence.html`);
    } catch (error) {
      setEvidenceError(error);
    }
  };

  return (
    <Show data={data}>
      {({ v, manifest, lineage, approvals }) => (
        <>
          <Facts
            rows={[
              ['Status', <Badge value={v.status} />],
              ['Status reason', v.statusReason],
              ['Description', v.description],
              ['Framework', v.framework],
              [
                'Registered',
                <>
                  <Time at={v.createdAt} /> by {v.createdBy}
                </>,
              ],
              ['Artifact SHA-256', <code>{v.artifact.sha256}</code>],
              ['Artifact size', sizeOf(v.artifact.sizeBytes)],
              ['Artifact location', <code>{v.artifact.uri}</code>],
              [
                'Serving',
                v.deployments.length
                  ? v.deployments.map((d) => `${d.environment}: ${d.target}`).join('; ')
                  : 'nowhere',
              ],
              [
                'Tags',
                Object.entries(v.tags)
                  .map(([k, t]) => `${k}=${t}`)
                  .join(', ') || undefined,
              ],
            ]}
          />
          <p>
            <button type="button" onClick={downloadEvidence}>
              Download the evidence pack (HTML)
            </button>
          </p>
          {evidenceError ? <Problem error={evidenceError} /> : null}

          <h2>Metrics and parameters</h2>
          <div class="card-grid">
            <KeyValues caption="Metrics" values={v.metrics} />
            <KeyValues caption="Parameters" values={v.params} />
          </div>

          <h2>Artifact manifest</h2>
          <Scroll>
            <table>
              <caption class="visually-hidden">Artifact files</caption>
              <thead>
                <tr>
                  <th scope="col">Path</th>
                  <th scope="col">SHA-256</th>
                  <th scope="col">Size</th>
                </tr>
              </thead>
              <tbody>
                {(
                  v.artifact.files ?? [
                    {
                      path: v.artifact.fileName ?? '(one file)',
                      sha256: v.artifact.sha256,
                      sizeBytes: v.artifact.sizeBytes,
                    },
                  ]
                ).map((f) => (
                  <tr key={f.path}>
                    <th scope="row">
                      <code>{f.path}</code>
                    </th>
                    <td>
                      <code title={f.sha256}>{f.sha256}</code>
                    </td>
                    <td>{sizeOf(f.sizeBytes)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Scroll>
          {v.artifact.files ? (
            <p class="small muted">
              The artifact SHA-256 is the tree digest over this manifest, sorted by path.
            </p>
          ) : null}

          <h2>Reproducibility</h2>
          <p id="reproducible">
            {manifest.reproducible ? (
              <strong>Reproducible: everything needed to rebuild it is recorded.</strong>
            ) : (
              <strong>Not reproducible: something is missing.</strong>
            )}
          </p>
          {manifest.missing.length ? (
            <ul>
              {manifest.missing.map((m) => (
                <li key={m.path}>
                  <code>{m.path}</code>: {m.message}
                </li>
              ))}
            </ul>
          ) : null}
          <Facts
            rows={[
              [
                'Code',
                manifest.code ? `${manifest.code.repository} @ ${short(manifest.code.commit)}` : undefined,
              ],
              [
                'Image',
                manifest.image ? `${manifest.image.uri} @ ${short(manifest.image.digest, 19)}` : undefined,
              ],
              ['Training run', manifest.trainingRun?.id],
              [
                'Datasets',
                manifest.datasets.length
                  ? manifest.datasets
                      .map(
                        (d) =>
                          `${d.role ? `${d.role}: ` : ''}${d.uri}${d.sha256 ? ` (sha256 ${short(d.sha256)})` : d.versionId ? ` (version ${d.versionId})` : ''}`,
                      )
                      .join('; ')
                  : undefined,
              ],
            ]}
          />

          <h2>Lineage</h2>
          {lineage.nodes.length ? (
            <>
              <Scroll>
                <div
                  class="figure lineage"
                  // The server's renderer escapes every label; its output is markup we made.
                  dangerouslySetInnerHTML={{
                    __html: lineageSvg(lineage, {
                      start: { kind: 'model-version', id: `${model.name}:${version}` },
                      title: `Lineage of ${model.name} version ${version}`,
                      idPrefix: `lin-${version}`,
                      href: (node) => {
                        const mv = parseModelVersionNode(node);
                        return mv ? href(['models', mv.name, 'versions', mv.version]) : undefined;
                      },
                    }),
                  }}
                />
              </Scroll>
              <div class="small" dangerouslySetInnerHTML={{ __html: lineageLegend(lineage) }} />
              <details>
                <summary>The lineage as a list</summary>
                <ul>
                  {lineage.edges.map((e) => (
                    <li key={`${nodeKey(e.from)}-${e.relation}-${nodeKey(e.to)}`}>
                      {nodeKey(e.from)} — {e.relation} → {nodeKey(e.to)}
                    </li>
                  ))}
                </ul>
              </details>
            </>
          ) : (
            <p class="muted">No lineage recorded.</p>
          )}

          <h2>Approvals</h2>
          {approvals.length === 0 ? (
            <p class="muted">No approval requested for this version.</p>
          ) : (
            <div class="card-grid">
              {approvals.map((a) => (
                <ApprovalPanel key={a.id} approval={a} onDecided={reload} />
              ))}
            </div>
          )}
        </>
      )}
    </Show>
  );
};
