import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A local stand-in's HTTP endpoint: listening on a free port of `host`, and how to stop it. */
export interface LocalEndpoint {
  endpoint: string;
  close(): Promise<void>;
}

export const listenLocal = async (server: Server, host: string): Promise<LocalEndpoint> => {
  await new Promise<void>((done) => server.listen(0, host, done));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
};
