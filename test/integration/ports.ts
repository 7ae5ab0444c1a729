import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';

/**
 * Ports for a child `npm start` to listen on, when a test must know them before it starts (a
 * restart keeps them, since mailed links and presigned URLs carry them). A port found free by
 * listen(0) is in the kernel's ephemeral range, which it hands out again to any process's outgoing
 * connection or listen(0) (the child's own emulators, the other test files') during the seconds a
 * cold start takes before the child binds it: the child then dies with EADDRINUSE. Below that
 * range a port is taken only by someone asking for that very number.
 */
const canListen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

const ephemeralLow = async (): Promise<number> => {
  const range = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => '');
  const low = Number(range.trim().split(/\s+/)[0]);
  // Linux's default; other systems' ranges start higher.
  return Number.isInteger(low) && low > 12_000 ? low : 32_768;
};

/** The first of `count` consecutive ports free now, below the ephemeral range. */
export const freePorts = async (count: number): Promise<number> => {
  const high = (await ephemeralLow()) - count;
  for (let attempt = 0; attempt < 100; attempt++) {
    const first = 10_000 + Math.floor(Math.random() * (high - 10_000));
    let free = true;
    for (let port = first; free && port < first + count; port++) free = await canListen(port);
    if (free) return first;
  }
  throw new Error(`no ${count} consecutive free ports below ${high + count}`);
};
