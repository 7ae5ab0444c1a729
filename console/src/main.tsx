import { render } from 'preact';
import { Api, localTransport } from './api.ts';
import { App } from './app.tsx';
import { type ConsoleConfig, parseConfig } from './aws/config.ts';
import { DEFAULT_PRINCIPAL, LOCAL_PRINCIPAL_KEY } from './principals.ts';

/**
 * Start-up: read `./config.json` beside index.html, then run in local mode (the picked principal
 * in the local identity header) or AWS mode (hosted-UI sign-in, identity-pool credentials, SigV4).
 */
const root = document.getElementById('app')!;

const fail = (error: unknown) => {
  root.innerHTML = '';
  const main = document.createElement('main');
  const h1 = document.createElement('h1');
  h1.textContent = 'The Steward console could not start';
  const p = document.createElement('p');
  p.setAttribute('role', 'alert');
  p.textContent = error instanceof Error ? error.message : String(error);
  main.append(h1, p);
  root.append(main);
};

/** The principal local mode sends, kept across reloads where storage allows. */
let current = DEFAULT_PRINCIPAL;
try {
  current = localStorage.getItem(LOCAL_PRINCIPAL_KEY) || DEFAULT_PRINCIPAL;
} catch {
  // storage may be off: the default principal then
}

const start = async () => {
  const response = await fetch('./config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json: ${response.status}`);
  const config: ConsoleConfig = parseConfig(await response.json());
  if (config.mode === 'local') {
    render(
      <App
        session={{ api: new Api(localTransport(() => current)), mode: 'local', who: current }}
        onChoose={(principal) => {
          current = principal;
          try {
            localStorage.setItem(LOCAL_PRINCIPAL_KEY, principal);
          } catch {
            // not kept across reloads then
          }
        }}
      />,
      root,
    );
    return;
  }
  const [{ awsSession }, { signedTransport }] = await Promise.all([
    import('./aws/session.ts'),
    import('./aws/sigv4.ts'),
  ]);
  const session = await awsSession(config);
  render(
    <App
      session={{
        api: new Api(signedTransport(config.apiUrl, config.region, session.credentials)),
        mode: 'aws',
        who: session.who,
        signOut: session.signOut,
      }}
    />,
    root,
  );
};

start().catch(fail);
