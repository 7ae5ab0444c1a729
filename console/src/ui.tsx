import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { type Api, ApiError } from './api.ts';
import { useSession } from './context.ts';
import { drafts } from './drafts.ts';

/** Shared pieces: loading a resource, showing a refusal in the server's words, times, badges. */
export type Loaded<T> = { state: 'loading' } | { state: 'ok'; data: T } | { state: 'error'; error: unknown };

const sameValues = (a: unknown[], b: unknown[]) =>
  a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

/**
 * Loads what a page shows for its subject (who is asking, and the page's own `deps`). A reload keeps
 * what is shown until the fresh answer comes, so the cards on screen stay mounted. An answer loaded
 * for another subject (another principal, another tab of the page) is never shown for this one,
 * not even for the one render before the new load starts: the page says it is loading instead.
 */
export const useData = <T,>(load: (api: Api) => Promise<T>, deps: unknown[]) => {
  const { api, who } = useSession();
  const subject = [api, who, ...deps];
  const [result, setResult] = useState<{ subject: unknown[]; loaded: Loaded<T> }>(() => ({
    subject,
    loaded: { state: 'loading' },
  }));
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load(api).then(
      (data) => live && setResult({ subject, loaded: { state: 'ok', data } }),
      (error: unknown) => live && setResult({ subject, loaded: { state: 'error', error } }),
    );
    return () => {
      live = false;
    };
  }, [tick, ...subject]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const shown: Loaded<T> = sameValues(result.subject, subject) ? result.loaded : { state: 'loading' };
  return [shown, reload] as const;
};

/** A draft by key (see drafts.ts): the text, a setter, and a clear for after it was sent. */
export const useDraft = (key: string): [string, (text: string) => void, () => void] => {
  // The book holds the text; this state only makes the component render again when it changes.
  const [, rendered] = useState(0);
  const set = (text: string) => {
    drafts.set(key, text);
    rendered((n) => n + 1);
  };
  return [drafts.get(key), set, () => set('')];
};

export const Problem = ({ error }: { error: unknown }) => {
  if (error instanceof ApiError) {
    const p = error.problem;
    return (
      <div class="problem" role="alert">
        <p>
          <strong>
            {p.status} {p.title}
          </strong>
          {p.detail ? `: ${p.detail}` : ''}
        </p>
        {p.errors?.length ? (
          <ul>
            {p.errors.map((e) => (
              <li key={e.path}>
                <code>{e.path}</code>: {e.message}
              </li>
            ))}
          </ul>
        ) : null}
      </div>
    );
  }
  return (
    <div class="problem" role="alert">
      <p>
        <strong>Error</strong>: {error instanceof Error ? error.message : String(error)}
      </p>
    </div>
  );
};

export const Show = <T,>({
  data,
  children,
}: {
  data: Loaded<T>;
  children: (value: T) => ComponentChildren;
}) => {
  if (data.state === 'loading')
    return (
      <p class="loading" role="status">
        Loading…
      </p>
    );
  if (data.state === 'error') return <Problem error={data.error} />;
  return <>{children(data.data)}</>;
};

const UTC = new Intl.DateTimeFormat('en-GB', {
  dateStyle: 'medium',
  timeStyle: 'short',
  timeZone: 'UTC',
});

/** A time as UTC text in a `<time datetime>`, the reader's own time in its title. */
export const Time = ({ at }: { at: string | undefined }) => {
  if (!at) return <span>–</span>;
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) return <span>{at}</span>;
  return (
    <time dateTime={at} title={date.toLocaleString()}>
      {UTC.format(date)} UTC
    </time>
  );
};

/** A status in words and a class; the colour never carries the meaning alone. */
export const Badge = ({ value }: { value: string | undefined }) => (
  <span class={`badge badge-${(value ?? 'none').toLowerCase().replace(/[^a-z_]/g, '')}`}>{value ?? '–'}</span>
);

export const Facts = ({ rows }: { rows: [string, ComponentChildren][] }) => (
  <dl class="facts">
    {rows.map(([k, v]) => (
      <div key={k}>
        <dt>{k}</dt>
        <dd>{v ?? '–'}</dd>
      </div>
    ))}
  </dl>
);

/**
 * A box that scrolls sideways when its table is wider than the screen (a phone). It takes focus so
 * a keyboard can scroll it too (WCAG 2.1.1; axe: scrollable-region-focusable).
 */
export const Scroll = ({ children }: { children: ComponentChildren }) => (
  // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
  <div class="scroll" tabIndex={0}>
    {children}
  </div>
);

export const KeyValues = ({ caption, values }: { caption: string; values: Record<string, unknown> }) => {
  const entries = Object.entries(values ?? {});
  if (entries.length === 0) return <p class="muted">No {caption.toLowerCase()}.</p>;
  return (
    <Scroll>
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
        <tbody>
          {entries.map(([k, v]) => (
            <tr key={k}>
              <th scope="row">{k}</th>
              <td>{typeof v === 'object' ? JSON.stringify(v) : String(v)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Scroll>
  );
};

/** The page's heading takes focus after navigation, so a screen reader announces the new page. */
export const PageTitle = ({ children, title }: { children: ComponentChildren; title: string }) => {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Steward`;
    ref.current?.focus();
  }, [title]);
  return (
    <h1 tabIndex={-1} ref={ref}>
      {children}
    </h1>
  );
};

export const short = (hash: string | undefined, n = 12) => (hash ? `${hash.slice(0, n)}…` : '–');

/** Saves a blob as a file: how a download that needs the API's headers reaches the disk. */
export const saveBlob = (blob: Blob, fileName: string) => {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
};
