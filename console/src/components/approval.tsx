import { useState } from 'preact/hooks';
import { useSession } from '../context.ts';
import { Drafts } from '../drafts.ts';
import { href } from '../router.ts';
import type { Approval } from '../types.ts';
import { Badge, Problem, Scroll, Time, useDraft } from '../ui.tsx';

/**
 * One approval request: each group's quorum and who decided, and, while it is pending, a form to
 * decide. The console decides through `POST /v1/approvals/{id}/decisions`, the same call the
 * API's clients make: the server applies segregation of duties (the registrant is refused), one
 * decision per person, and the request's state; a refusal is shown in the server's words.
 */
export const ApprovalPanel = ({
  approval,
  onDecided,
  headingLevel = 3,
}: {
  approval: Approval;
  onDecided?: (message: string) => void;
  headingLevel?: 2 | 3;
}) => {
  const { api, who } = useSession();
  // The comment outlives the card: the inbox or the model page may load again and mount it afresh.
  const [comment, setComment, clearComment] = useDraft(Drafts.key(who, approval.id));
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<unknown>(undefined);
  const [done, setDone] = useState<string>('');
  const H = headingLevel === 2 ? 'h2' : 'h3';
  const id = `approval-${approval.id}`;

  const decide = async (decision: 'approve' | 'reject') => {
    setBusy(true);
    setRefusal(undefined);
    setDone('');
    try {
      const after = await api.call<Approval>(
        'POST',
        `/v1/approvals/${encodeURIComponent(approval.id)}/decisions`,
        {
          decision,
          ...(comment.trim() ? { comment: comment.trim() } : {}),
        },
      );
      const message = `Your decision (${decision}) on ${approval.model} v${approval.version} for ${approval.environment} is recorded. The request is now ${after?.status ?? 'updated'}.`;
      setDone(message);
      clearComment();
      onDecided?.(message);
    } catch (error) {
      setRefusal(error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <article class="panel approval" aria-labelledby={`${id}-h`} data-approval={approval.id}>
      <H id={`${id}-h`}>
        <a href={href(['models', approval.model, 'versions', approval.version])}>
          {approval.model} v{approval.version}
        </a>{' '}
        for {approval.environment} <Badge value={approval.status} />
      </H>
      <p class="small">
        Requested by {approval.requestedBy} <Time at={approval.requestedAt} />
        {approval.reason ? <> · reason: {approval.reason}</> : null}
        {approval.status === 'PENDING' ? (
          <>
            {' '}
            · expires <Time at={approval.expiresAt} />
          </>
        ) : null}
        {approval.outcomeReason ? <> · {approval.outcomeReason}</> : null}
      </p>
      <Scroll>
        <table class="groups">
          <caption>Approver groups and quorum</caption>
          <thead>
            <tr>
              <th scope="col">Group</th>
              <th scope="col">Quorum</th>
              <th scope="col">Decisions</th>
            </tr>
          </thead>
          <tbody>
            {approval.groups.map((g) => {
              const decisions = approval.decisions.filter((d) => d.group === g.name);
              return (
                <tr key={g.name}>
                  <th scope="row">{g.name}</th>
                  <td>
                    {g.approvals} of {g.minApprovals} {g.done ? '(complete)' : ''}
                  </td>
                  <td>
                    {decisions.length === 0
                      ? 'none yet'
                      : decisions.map((d) => (
                          <div key={d.by}>
                            <Badge value={d.decision} /> {d.by} <Time at={d.at} />
                            {d.comment ? <span class="muted"> “{d.comment}”</span> : null}
                          </div>
                        ))}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </Scroll>
      {approval.approvers.length ? (
        <p class="small muted">Approvers: {approval.approvers.join(', ')}</p>
      ) : null}
      {approval.status === 'PENDING' ? (
        <form
          class="decide"
          onSubmit={(e) => e.preventDefault()}
          aria-label={`Decide on ${approval.model} version ${approval.version} for ${approval.environment}`}
        >
          <label for={`${id}-comment`}>Comment (optional)</label>
          <textarea
            id={`${id}-comment`}
            rows={2}
            maxLength={2000}
            value={comment}
            onInput={(e) => setComment((e.target as HTMLTextAreaElement).value)}
          />
          <div class="buttons">
            <button type="button" class="primary" disabled={busy} onClick={() => decide('approve')}>
              Approve as {who}
            </button>
            <button type="button" class="danger" disabled={busy} onClick={() => decide('reject')}>
              Reject as {who}
            </button>
          </div>
        </form>
      ) : null}
      <div aria-live="polite">
        {refusal ? <Problem error={refusal} /> : null}
        {done ? (
          <p class="notice" role="status">
            {done}
          </p>
        ) : null}
      </div>
    </article>
  );
};
