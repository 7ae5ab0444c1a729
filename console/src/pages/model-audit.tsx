import { useState } from 'preact/hooks';
import { RecordTable } from '../components/table.tsx';
import { useSession } from '../context.ts';
import type { AuditEvent, Model } from '../types.ts';
import { Problem, Show, short, Time, useData } from '../ui.tsx';

/** The model's audit trail, newest first, and a button that has the server recompute the chain. */
interface Verification {
  model: string;
  valid: boolean;
  events: number;
  brokenAt?: number;
  reason?: string;
  headHash?: string;
}

const summary = (value: unknown): string => {
  if (value === undefined) return '';
  const text = JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
};

export const ModelAudit = ({ model }: { model: Model }) => {
  const { api } = useSession();
  const [data] = useData((a) => a.all<AuditEvent>('/v1/audit', { model: model.name }, 1000), [model.name]);
  const [result, setResult] = useState<Verification | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const verify = async () => {
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    try {
      setResult(await api.get<Verification>('/v1/audit/verify', { model: model.name }));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <h2>Audit trail</h2>
      <p>
        <button type="button" onClick={verify} disabled={busy}>
          Verify the chain
        </button>{' '}
        <span class="small muted">
          The server recomputes every event's SHA-256 from the first to the head.
        </span>
      </p>
      <div aria-live="polite" id="verify-result">
        {busy ? <p role="status">Verifying…</p> : null}
        {error ? <Problem error={error} /> : null}
        {result ? (
          result.valid ? (
            <p class="notice" role="status">
              <strong>Valid</strong>: {result.events} event{result.events === 1 ? '' : 's'}, each hash chained
              to the one before
              {result.headHash ? (
                <>
                  , head <code>{result.headHash}</code>
                </>
              ) : null}
              .
            </p>
          ) : (
            <div class="problem" role="alert">
              <p>
                <strong>Broken</strong> at event {result.brokenAt} of {result.events}
                {result.reason ? `: ${result.reason}` : ''}.
              </p>
            </div>
          )
        ) : null}
      </div>
      <Show data={data}>
        {(events) => {
          const ordered = [...events].sort((a, b) => b.seq - a.seq);
          return (
            <RecordTable
              name="audit"
              caption="Audit events, newest first"
              columns={['#', 'When', 'Who', 'Action', 'Target', 'Change', 'Hash']}
            >
              {ordered.map((e) => (
                <tr key={e.seq}>
                  <th scope="row">{e.seq}</th>
                  <td>
                    <Time at={e.at} />
                  </td>
                  <td>{e.actor}</td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td>
                    <code>{e.target}</code>
                  </td>
                  <td class="small">
                    <code>{summary(e.after ?? e.before)}</code>
                  </td>
                  <td>
                    <code title={`${e.hash} (previous ${e.prevHash})`}>{short(e.hash)}</code>
                  </td>
                </tr>
              ))}
            </RecordTable>
          );
        }}
      </Show>
    </>
  );
};
