import { href } from '../router.ts';
import type { Model } from '../types.ts';
import { Badge, PageTitle, Show, useData } from '../ui.tsx';
import { ModelApprovals } from './model-approvals.tsx';
import { ModelAudit } from './model-audit.tsx';
import { ModelDeployments } from './model-deployments.tsx';
import { ModelMonitoring } from './model-monitoring.tsx';
import { ModelOverview } from './model-overview.tsx';
import { VersionPage } from './version.tsx';

/**
 * One model: a tab per concern, each its own link (`#/models/<name>/<tab>`), a version its own
 * page (`#/models/<name>/versions/<n>`).
 */
const TABS = [
  { key: '', label: 'Overview' },
  { key: 'approvals', label: 'Approvals' },
  { key: 'deployments', label: 'Deployments' },
  { key: 'monitoring', label: 'Monitoring' },
  { key: 'audit', label: 'Audit trail' },
];

export const ModelPage = ({ name, rest }: { name: string; rest: string[]; query: URLSearchParams }) => {
  const [data, reload] = useData((api) => api.get<Model>(`/v1/models/${encodeURIComponent(name)}`), [name]);
  const [tab = '', sub] = rest;
  const current = tab === 'versions' ? '' : tab;
  const label =
    tab === 'versions' && sub ? `version ${sub}` : (TABS.find((t) => t.key === current)?.label ?? '');
  return (
    <>
      <nav aria-label="Breadcrumb" class="small">
        <a href={href(['models'])}>Models</a> › <a href={href(['models', name])}>{name}</a>
        {label && label !== 'Overview' ? ` › ${label}` : ''}
      </nav>
      <PageTitle title={`${name}${label && label !== 'Overview' ? ` · ${label}` : ''}`}>
        {name}
        {tab === 'versions' && sub ? ` · version ${sub}` : ''}
      </PageTitle>
      <Show data={data}>
        {(model) => (
          <>
            <p class="muted">
              {model.description ? `${model.description} · ` : ''}owner{' '}
              {(model.owners ?? [model.owner]).join(', ')} · risk tier <Badge value={model.riskTier} /> ·
              latest version {model.latestVersion || '–'}
            </p>
            <nav class="tabs" aria-label="Model sections">
              <ul>
                {TABS.map((t) => (
                  <li key={t.key}>
                    <a
                      href={href(t.key ? ['models', name, t.key] : ['models', name])}
                      aria-current={current === t.key && !(tab === 'versions' && sub) ? 'page' : undefined}
                    >
                      {t.label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
            {tab === 'versions' && sub ? (
              <VersionPage model={model} version={Number(sub)} onChange={reload} />
            ) : current === 'approvals' ? (
              <ModelApprovals model={model} />
            ) : current === 'deployments' ? (
              <ModelDeployments model={model} />
            ) : current === 'monitoring' ? (
              <ModelMonitoring model={model} />
            ) : current === 'audit' ? (
              <ModelAudit model={model} />
            ) : (
              <ModelOverview model={model} />
            )}
          </>
        )}
      </Show>
    </>
  );
};
