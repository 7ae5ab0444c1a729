import type { RoleName } from '#commons/facts';
import type { Route } from './route.ts';
import { routes } from './routes.ts';

/**
 * Which routes a holder of one Steward role can use, from the role each route entry declares:
 * `reader` and `authenticated` routes are everyone's, `owner` routes a publisher's (as a member of
 * the owning team; the service checks the team), a role or list of roles its holders', and admin
 * holds every role. The IAM roles the console's identity pool hands out are granted
 * `execute-api:Invoke` from this, so a console user cannot even reach a route their role could
 * never use; the middleware and the services still decide the rest.
 */

/** The console calls the `/v1` API only, never MLflow's protocol, and never a public page. */
export const consoleRoutes: readonly Route[] = routes.filter(
  (r) => r.path.startsWith('/v1/') && r.auth === 'iam' && r.protocol === undefined,
);

export const mayUse = (route: Route, role: RoleName): boolean => {
  if (role === 'admin') return true;
  const needed = route.role;
  if (needed === 'reader' || needed === 'authenticated') return true;
  if (needed === 'public') return false;
  if (needed === 'owner') return role === 'publisher';
  return typeof needed === 'string' ? needed === role : needed.includes(role);
};

/** The routes a console user holding `role` may reach. */
export const routesForRole = (role: RoleName): Route[] => consoleRoutes.filter((r) => mayUse(r, role));
