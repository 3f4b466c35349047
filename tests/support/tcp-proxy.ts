// A loopback TCP proxy a test can cut in one direction: the way to lose what a client sends
// (an AMQP ack, say) while the client goes on as if it had arrived, so the test can kill the
// client in the window a real crash would hit. Each client connection gets its own upstream
// connection; when either side closes, so does the other, as a real network would.
import { createServer, connect, type AddressInfo, type Socket } from "node:net";

export interface TcpProxy {
  port: number;
  /** From now on, bytes from clients are dropped (upstream still talks to them). */
  dropClientBytes(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host?: string; port: number }): Promise<TcpProxy> {
  const host = target.host ?? "127.0.0.1";
  let dropping = false;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect({ host, port: target.port });
    sockets.add(client).add(upstream);
    client.on("data", (chunk) => {
      if (!dropping) upstream.write(chunk);
    });
    upstream.on("data", (chunk) => client.write(chunk));
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const socket of [client, upstream]) {
      socket.on("close", closeBoth);
      socket.on("error", closeBoth);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    dropClientBytes() {
      dropping = true;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
