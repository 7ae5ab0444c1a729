import { useState } from 'preact/hooks';
import { useSession } from '../context.ts';
import type { Environment } from '../types.ts';
import { PageTitle, Problem, Show, Time, useData } from '../ui.tsx';

/**
 * Environments and their policies, shown to everyone. Anyone may open the editor; the API lets
 * only admins save (`PUT /v1/environments/{name}` with If-Match on the revision read), and a
 * refusal is shown as the server gives it.
 */
interface Stored extends Environment {
  source: 'stored' | 'default';
  revision: number;
}

interface GroupDraft {
  name: string;
  members: string;
  minApprovals: string;
}

const Editor = ({ env, onSaved, onCancel }: { env: Stored; onSaved: () => void; onCancel: () => void }) => {
  const { api } = useSession();
  const [required, setRequired] = useState(env.approval.required);
  const [reproducible, setReproducible] = useState(env.requireReproducibility);
  const [ttl, setTtl] = useState(String(env.approvalTtlHours ?? ''));
  const [groups, setGroups] = useState<GroupDraft[]>(
    env.approval.groups.map((g) => ({
      name: g.name,
      members: g.members.join(', '),
      minApprovals: String(g.minApprovals),
    })),
  );
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const id = `env-${env.name}`;
  const set = (i: number, patch: Partial<GroupDraft>) =>
    setGroups(groups.map((g, j) => (j === i ? { ...g, ...patch } : g)));

  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api.call(
        'PUT',
        `/v1/environments/${encodeURIComponent(env.name)}`,
        {
          approval: {
            required,
            groups: groups.map((g) => ({
              name: g.name.trim(),
              members: g.members
                .split(',')
                .map((m) => m.trim())
                .filter(Boolean),
              minApprovals: Number(g.minApprovals),
            })),
          },
          requireReproducibility: reproducible,
          ...(ttl.trim() ? { approvalTtlHours: Number(ttl) } : {}),
          ...(env.account ? { account: env.account } : {}),
        },
        // Refused with 412 if someone changed it since it was read.
        env.source === 'stored' ? { 'if-match': `"${env.revision}"` } : {},
      );
      onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="panel env-editor" onSubmit={save} aria-label={`Edit the policy of ${env.name}`}>
      <div>
        <input
          id={`${id}-required`}
          type="checkbox"
          checked={required}
          onChange={(e) => setRequired((e.target as HTMLInputElement).checked)}
        />{' '}
        <label for={`${id}-required`}>Deployments need an approval</label>
      </div>
      <div>
        <input
          id={`${id}-repro`}
          type="checkbox"
          checked={reproducible}
          onChange={(e) => setReproducible((e.target as HTMLInputElement).checked)}
        />{' '}
        <label for={`${id}-repro`}>Versions must be reproducible</label>
      </div>
      <div>
        <label for={`${id}-ttl`}>Approval expires after (hours)</label>{' '}
        <input
          id={`${id}-ttl`}
          type="number"
          min={1}
          value={ttl}
          onInput={(e) => setTtl((e.target as HTMLInputElement).value)}
        />
      </div>
      <fieldset>
        <legend>Approver groups</legend>
        {groups.map((g, i) => (
          <div key={i} class="group-row">
            <label for={`${id}-g${i}-name`}>Group name</label>{' '}
            <input
              id={`${id}-g${i}-name`}
              value={g.name}
              onInput={(e) => set(i, { name: (e.target as HTMLInputElement).value })}
            />{' '}
            <label for={`${id}-g${i}-members`}>Members (comma-separated)</label>{' '}
            <input
              id={`${id}-g${i}-members`}
              value={g.members}
              size={30}
              onInput={(e) => set(i, { members: (e.target as HTMLInputElement).value })}
            />{' '}
            <label for={`${id}-g${i}-min`}>Approvals needed</label>{' '}
            <input
              id={`${id}-g${i}-min`}
              type="number"
              min={1}
              value={g.minApprovals}
              onInput={(e) => set(i, { minApprovals: (e.target as HTMLInputElement).value })}
            />{' '}
            <button type="button" onClick={() => setGroups(groups.filter((_, j) => j !== i))}>
              Remove group {g.name}
            </button>
          </div>
        ))}
        <button
          type="button"
          onClick={() => setGroups([...groups, { name: '', members: '', minApprovals: '1' }])}
        >
          Add a group
        </button>
      </fieldset>
      <p class="buttons">
        <button type="submit" class="primary" disabled={busy}>
          Save policy
        </button>{' '}
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </p>
      <div aria-live="polite">{error ? <Problem error={error} /> : null}</div>
    </form>
  );
};

export const EnvironmentsPage = () => {
  const [data, reload] = useData((api) => api.get<{ items: Stored[] }>('/v1/environments'), []);
  const [editing, setEditing] = useState<string | undefined>(undefined);
  const [saved, setSaved] = useState('');
  return (
    <>
      <PageTitle title="Environments">Environments</PageTitle>
      <p class="muted">
        The policy each environment's approvals and deployments follow. Only admins may change one.
      </p>
      <div aria-live="polite">
        {saved ? (
          <p class="notice" role="status">
            {saved}
          </p>
        ) : null}
      </div>
      <Show data={data}>
        {({ items }) => (
          <div class="card-grid">
            {items.map((env) => (
              <section
                key={env.name}
                class="panel"
                aria-labelledby={`env-${env.name}-h`}
                data-environment={env.name}
              >
                <h2 id={`env-${env.name}-h`}>{env.name}</h2>
                <ul>
                  <li>
                    {env.approval.required
                      ? 'Deployments need an approval.'
                      : 'Deployments need no approval.'}
                  </li>
                  <li>
                    {env.requireReproducibility
                      ? 'Versions must be reproducible.'
                      : 'Reproducibility is not required.'}
                  </li>
                  <li>Approval requests expire after {env.approvalTtlHours ?? '–'} hours.</li>
                  {env.account ? (
                    <li>
                      Account {env.account.id}, deploy role <code>{env.account.deployRoleArn}</code>
                    </li>
                  ) : null}
                </ul>
                {env.approval.groups.length ? (
                  <table>
                    <caption>Approver groups</caption>
                    <thead>
                      <tr>
                        <th scope="col">Group</th>
                        <th scope="col">Members</th>
                        <th scope="col">Needed</th>
                      </tr>
                    </thead>
                    <tbody>
                      {env.approval.groups.map((g) => (
                        <tr key={g.name}>
                          <th scope="row">{g.name}</th>
                          <td>{g.members.join(', ')}</td>
                          <td>{g.minApprovals}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                ) : (
                  <p class="muted">No approver groups.</p>
                )}
                <p class="small muted">
                  {env.source === 'stored' ? (
                    <>
                      Revision {env.revision}, changed <Time at={env.updatedAt} /> by {env.updatedBy}
                    </>
                  ) : (
                    'The default from configuration.'
                  )}
                </p>
                {editing === env.name ? (
                  <Editor
                    env={env}
                    onCancel={() => setEditing(undefined)}
                    onSaved={() => {
                      setEditing(undefined);
                      setSaved(`The policy of ${env.name} is saved.`);
                      reload();
                    }}
                  />
                ) : (
                  <button
                    type="button"
                    onClick={() => {
                      setSaved('');
                      setEditing(env.name);
                    }}
                  >
                    Edit {env.name}
                  </button>
                )}
              </section>
            ))}
          </div>
        )}
      </Show>
    </>
  );
};
