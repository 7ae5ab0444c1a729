import { ApprovalPanel } from '../components/approval.tsx';
import type { Approval, Model, Version } from '../types.ts';
import { Show, useData } from '../ui.tsx';

/** Every version's approval requests (the latest per environment), each with its groups and decisions. */
export const ModelApprovals = ({ model }: { model: Model }) => {
  const [data, reload] = useData(
    async (api) => {
      const versions = await api.all<Version>(`/v1/models/${encodeURIComponent(model.name)}/versions`);
      const ids = versions.flatMap((v) => v.approvals.flatMap((a) => (a.id ? [a.id] : [])));
      return Promise.all(ids.map((id) => api.get<Approval>(`/v1/approvals/${encodeURIComponent(id)}`)));
    },
    [model.name],
  );
  return (
    <section aria-labelledby="approvals-h">
      <h2 id="approvals-h">Approval requests</h2>
      <Show data={data}>
        {(approvals) =>
          approvals.length === 0 ? (
            <p class="muted">No approval has been requested for this model.</p>
          ) : (
            <div class="card-grid">
              {approvals.map((a) => (
                <ApprovalPanel key={a.id} approval={a} onDecided={reload} />
              ))}
            </div>
          )
        }
      </Show>
    </section>
  );
};
