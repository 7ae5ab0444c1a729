import { useState } from 'preact/hooks';
import { type Session, SessionContext } from './context.ts';
import { ApprovalsPage } from './pages/approvals.tsx';
import { EnvironmentsPage } from './pages/environments.tsx';
import { InventoryPage } from './pages/inventory.tsx';
import { ModelPage } from './pages/model.tsx';
import { ModelsPage } from './pages/models.tsx';
import { NotFound } from './pages/not-found.tsx';
import { PrincipalPicker } from './picker.tsx';
import { href, type Route, useRoute } from './router.ts';

/** The frame: a skip link, the header with the sections and who is acting, the page. */
const SECTIONS = [
  { key: 'models', label: 'Models' },
  { key: 'approvals', label: 'Approvals' },
  { key: 'inventory', label: 'Inventory' },
  { key: 'environments', label: 'Environments' },
];

const pageOf = (route: Route) => {
  const [first = 'models', second, ...rest] = route.segments;
  if (first === 'models' && !second) return <ModelsPage query={route.query} />;
  if (first === 'models' && second) return <ModelPage name={second} rest={rest} query={route.query} />;
  if (first === 'approvals') return <ApprovalsPage query={route.query} />;
  if (first === 'inventory') return <InventoryPage />;
  if (first === 'environments') return <EnvironmentsPage />;
  return <NotFound />;
};

export const App = ({ session, onChoose }: { session: Session; onChoose?: (principal: string) => void }) => {
  const [who, setWho] = useState(session.who);
  const route = useRoute();
  const section = route.segments[0] ?? 'models';
  const value: Session = {
    ...session,
    who,
    ...(onChoose
      ? {
          choose: (principal: string) => {
            onChoose(principal);
            setWho(principal);
          },
        }
      : {}),
  };
  return (
    <SessionContext.Provider value={value}>
      {/* A button, not a link: a fragment link would change the (hash) route. */}
      <button type="button" class="skip" onClick={() => document.getElementById('main')?.focus()}>
        Skip to content
      </button>
      <header class="top">
        <a class="brand" href={href(['models'])}>
          Steward
        </a>
        <nav aria-label="Sections">
          <ul>
            {SECTIONS.map((s) => (
              <li key={s.key}>
                <a href={href([s.key])} aria-current={section === s.key ? 'page' : undefined}>
                  {s.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="identity">
          {value.mode === 'local' ? (
            <PrincipalPicker />
          ) : (
            <>
              <span>
                Signed in as <strong>{who}</strong>
              </span>
              <button type="button" class="link" onClick={() => value.signOut?.()}>
                Sign out
              </button>
            </>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {pageOf(route)}
      </main>
    </SessionContext.Provider>
  );
};
