import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ForbiddenError, UnauthenticatedError, ValidationError } from './errors.ts';
import type { RoleName, RoleRule } from './facts.ts';

/**
 * Who is calling. On AWS the principal is the IAM identity API Gateway authenticated (SigV4).
 * Only local mode reads `X-Steward-Principal`; anywhere else that header is ignored, so it can
 * never be used to impersonate someone.
 */
export interface Principal {
  /** The IAM ARN on AWS; the header's value in local mode. */
  id: string;
  /** The role session name of an assumed role (SSO sessions carry the person's email here). */
  sessionName: string | undefined;
  roles: ReadonlySet<RoleName>;
}

export const LOCAL_DEFAULT_PRINCIPAL = 'local-user';

/** Local mode's default role map (API.md): every principal publishes, approves and deploys. */
export const LOCAL_DEFAULT_ROLES: RoleRule[] = [
  { pattern: 'auditor', roles: ['auditor'] },
  { pattern: 'admin', roles: ['admin', 'publisher', 'approver', 'deployer'] },
  { pattern: '*', roles: ['publisher', 'approver', 'deployer'] },
];

const PRINCIPAL_HEADER = 'x-steward-principal';

const globToRegExp = (pattern: string): RegExp =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );

/** `arn:aws:sts::123456789012:assumed-role/Role/session` -> `session`. */
export const sessionNameOf = (arn: string): string | undefined => {
  const match = /^arn:aws[a-z-]*:sts::\d{12}:assumed-role\/[^/]+\/(.+)$/.exec(arn);
  return match?.[1];
};

/** Whether `who` names this principal: equal to it, to its session name, or a glob over either. */
export const principalMatches = (principal: Pick<Principal, 'id' | 'sessionName'>, who: string): boolean => {
  const re = globToRegExp(who);
  return re.test(principal.id) || (principal.sessionName !== undefined && re.test(principal.sessionName));
};

export const rolesOf = (
  principal: Pick<Principal, 'id' | 'sessionName'>,
  rules: readonly RoleRule[],
): Set<RoleName> => {
  const rule = rules.find((r) => principalMatches(principal, r.pattern));
  return new Set(rule?.roles ?? []);
};

/**
 * A console user signs in through Cognito, and the identity pool hands out credentials for the
 * IAM role of their group, always with the session name `CognitoIdentityCredentials`: every
 * member of a group would look like one person, and one decision per person or the registrant
 * rule would mean nothing. API Gateway also tells who signed in (`cognitoAuthenticationProvider`,
 * derived by AWS from the credentials, never from anything the caller sends): the user pool's
 * `sub` of the person takes the place of that session name, so the principal is
 * `arn:aws:sts::<account>:assumed-role/<group role>/<sub>`, matched by `stewardRoles` through the
 * role and named by the sub in approver groups.
 */
const COGNITO_SESSION = '/CognitoIdentityCredentials';
const cognitoPerson = (
  arn: string,
  identity: { cognitoAuthenticationType?: string | null; cognitoAuthenticationProvider?: string | null },
): string | undefined => {
  if (identity.cognitoAuthenticationType !== 'authenticated' || !arn.endsWith(COGNITO_SESSION))
    return undefined;
  const sub = /:CognitoSignIn:([0-9a-fA-F-]{1,128})$/.exec(identity.cognitoAuthenticationProvider ?? '')?.[1];
  return sub ? `${arn.slice(0, -COGNITO_SESSION.length)}/${sub}` : undefined;
};

export const resolvePrincipal = (
  event: Pick<APIGatewayProxyEvent, 'headers' | 'requestContext'>,
  mode: 'aws' | 'local',
  rules: readonly RoleRule[] | undefined,
): Principal => {
  let id: string;
  if (mode === 'local') {
    const header = Object.entries(event.headers ?? {}).find(
      ([k]) => k.toLowerCase() === PRINCIPAL_HEADER,
    )?.[1];
    id = header?.trim() || LOCAL_DEFAULT_PRINCIPAL;
    if (id.length > 256 || /[^\x21-\x7e]/.test(id))
      throw new ValidationError(
        'X-Steward-Principal must be 1-256 printable ASCII characters without spaces',
        {
          errors: [
            { path: 'headers.x-steward-principal', message: 'printable ASCII, no spaces, at most 256' },
          ],
        },
      );
  } else {
    const identity = event.requestContext?.identity;
    const arn = identity?.userArn ?? undefined;
    if (!arn) throw new UnauthenticatedError('the request carries no IAM identity');
    id = cognitoPerson(arn, identity) ?? arn;
  }
  const sessionName = sessionNameOf(id);
  const base = { id, sessionName };
  return { ...base, roles: rolesOf(base, rules ?? (mode === 'local' ? LOCAL_DEFAULT_ROLES : [])) };
};

export const hasRole = (principal: Principal, role: RoleName): boolean =>
  principal.roles.has(role) || principal.roles.has('admin');

/** Any role at all lets a principal read; the auditor role is read-only. */
export const requireReader = (principal: Principal): void => {
  if (principal.roles.size === 0) throw new ForbiddenError(`${principal.id} has no role in Steward`);
};

export const requireRole = (principal: Principal, role: RoleName): void => {
  if (!hasRole(principal, role)) throw new ForbiddenError(`this needs the ${role} role`);
};

/**
 * Only the model's owning team (its publishers) or an admin changes the model, registers its
 * versions and moves its aliases. Given a model, its team is `owners` (or, for a model from
 * before teams, its single `owner`).
 */
export const requireOwner = (
  principal: Principal,
  model: string | { owner: string; owners?: readonly string[] | undefined },
): void => {
  if (principal.roles.has('admin')) return;
  const team = typeof model === 'string' ? [model] : model.owners?.length ? model.owners : [model.owner];
  if (!principal.roles.has('publisher'))
    throw new ForbiddenError(
      `this needs the publisher role, as a member of the owning team (${team.join(', ')})`,
    );
  if (!team.some((member) => principalMatches(principal, member)))
    throw new ForbiddenError(
      `${principal.id} is not in the model's owning team (${team.join(', ')}); a member or an admin may add it to owners`,
    );
};
