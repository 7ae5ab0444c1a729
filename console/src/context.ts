import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Api } from './api.ts';

/** Who is using the console and how it reaches the API. */
export interface Session {
  api: Api;
  mode: 'local' | 'aws';
  /** The principal the API sees: the picked name locally, the signed-in person on AWS. */
  who: string;
  /** Local mode: switch the principal (the local identity header). */
  choose?: (principal: string) => void;
  signOut?: () => void;
}

export const SessionContext = createContext<Session | null>(null);

export const useSession = (): Session => {
  const session = useContext(SessionContext);
  if (!session) throw new Error('no session');
  return session;
};
