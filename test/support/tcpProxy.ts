import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Cuts every open connection, like a network drop; returns how many there were. */
  dropAll(): number;
  /** Connections accepted so far. */
  connections(): number;
  close(): void;
}

/** A TCP proxy on 127.0.0.1 in front of `targetPort`, whose connections a test can cut. */
export async function startTcpProxy(targetPort: number | string): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let total = 0;
  const server: Server = createServer((client) => {
    total++;
    const upstream = tcpConnect(Number(targetPort), '127.0.0.1');
    open.add(client);
    client.pipe(upstream).pipe(client);
    const end = () => {
      open.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    dropAll() {
      const n = open.size;
      for (const socket of open) socket.destroy();
      return n;
    },
    connections: () => total,
    close() {
      for (const socket of open) socket.destroy();
      server.close();
    },
  };
}
