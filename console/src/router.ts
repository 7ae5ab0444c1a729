import { useEffect, useState } from 'preact/hooks';

/**
 * Hash routing (`#/models/churn?tab=audit`): every page has a link that can be shared, and the
 * console stays a set of static files (S3 and CloudFront need no rewrite rule).
 */
export interface Route {
  segments: string[];
  query: URLSearchParams;
}

export const parseHash = (hash: string): Route => {
  const raw = hash.replace(/^#/, '') || '/';
  const [path = '/', qs = ''] = raw.split('?', 2);
  return {
    segments: path
      .split('/')
      .filter(Boolean)
      .map((s) => {
        try {
          return decodeURIComponent(s);
        } catch {
          return s;
        }
      }),
    query: new URLSearchParams(qs),
  };
};

/** A link to a console page: segments are encoded, empty query values dropped. */
export const href = (
  segments: (string | number)[],
  query: Record<string, string | undefined> = {},
): string => {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v) params.set(k, v);
  const qs = params.toString();
  return `#/${segments.map((s) => encodeURIComponent(String(s))).join('/')}${qs ? `?${qs}` : ''}`;
};

export const useRoute = (): Route => {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
};

export const navigate = (to: string): void => {
  if (window.location.hash !== to) window.location.hash = to;
};
