/**
 * Local mode's principals to pick from. Local mode's default role map (API.md) makes every
 * principal a publisher, approver and deployer, `admin` an admin and `auditor` a reader only;
 * any other name can be typed in.
 */
export const LOCAL_PRINCIPAL_KEY = 'steward.principal';
export const DEFAULT_PRINCIPAL = 'alice';

export const LOCAL_PRINCIPALS: { name: string; note: string }[] = [
  { name: 'alice', note: 'publisher, approver, deployer' },
  { name: 'bob', note: 'publisher, approver, deployer' },
  { name: 'carol', note: 'publisher, approver, deployer' },
  { name: 'admin', note: 'admin' },
  { name: 'auditor', note: 'reads only' },
];

/** The local identity header takes printable ASCII without spaces, at most 256 characters. */
export const validPrincipal = (name: string): boolean => /^[\x21-\x7e]{1,256}$/.test(name);
