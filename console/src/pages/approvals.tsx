import { useState } from 'preact/hooks';
import { ApprovalPanel } from '../components/approval.tsx';
import { useSession } from '../context.ts';
import { href } from '../router.ts';
import type { Approval } from '../types.ts';
import { PageTitle, Show, useData } from '../ui.tsx';

/**
 * The approvals inbox: pending requests the signed-in person may decide (`GET /v1/approvals?mine=true`),
 * or every pending one with the reason the person may not decide it. Deciding goes through the same
 * `/v1` decision as anywhere else, so the server's rules hold whatever this page shows.
 */
type Pending = Approval & { mayDecide: boolean; why?: string };

export const ApprovalsPage = ({ query }: { query: URLSearchParams }) => {
  const { who } = useSession();
  const all = query.get('show') === 'all';
  const [notice, setNotice] = useState('');
  const [data, reload] = useData(
    (api) => api.all<Pending>('/v1/approvals', all ? {} : { mine: 'true' }),
    [all],
  );
  return (
    <>
      <PageTitle title="Approvals">Approvals</PageTitle>
      <nav class="tabs" aria-label="Which requests">
        <ul>
          <li>
            <a href={href(['approvals'])} aria-current={all ? undefined : 'page'}>
              Mine to decide
            </a>
          </li>
          <li>
            <a href={href(['approvals'], { show: 'all' })} aria-current={all ? 'page' : undefined}>
              All pending
            </a>
          </li>
        </ul>
      </nav>
      <div aria-live="polite">
        {notice ? (
          <p class="notice" role="status">
            {notice}
          </p>
        ) : null}
      </div>
      <Show data={data}>
        {(items) => (
          <>
            <p role="status" class="muted">
              {items.length === 0
                ? all
                  ? 'No request is pending.'
                  : `Nothing is waiting for ${who}.`
                : `${items.length} pending request${items.length === 1 ? '' : 's'}${all ? '' : ` ${who} may decide`}.`}
            </p>
            <div class="card-grid">
              {items.map((a) => (
                <div key={a.id}>
                  {a.mayDecide ? null : (
                    <p class="small muted" data-why={a.id}>
                      {who} may not decide this: {a.why}.
                    </p>
                  )}
                  <ApprovalPanel
                    approval={a}
                    onDecided={(message) => {
                      setNotice(message);
                      reload();
                    }}
                  />
                </div>
              ))}
            </div>
          </>
        )}
      </Show>
    </>
  );
};
