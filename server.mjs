// `npm start`: Next's production server behind a thin Node HTTP server, for one reason —
// the client's address. Next copies the socket address into X-Forwarded-For only when the
// request has none, so with plain `next start` a client can claim any address and reset
// every per-IP rate limit. This server writes the socket address into its own header on
// every request, overwriting anything a client sent, marked with a random secret made for
// this process (lib/http/client-ip.ts checks it in constant time).
//
// Plain JavaScript on purpose: production runs it with node, no TypeScript loader.
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";

/** @type {Record<string, string | undefined>} Next's types make NODE_ENV read-only. */
const env = process.env;
// What `next start` does too: this is the production server.
env.NODE_ENV = "production";
// Set before Next loads the settings (lib/env.ts reads it like every other variable).
const secret = randomBytes(32).toString("hex");
env.GATEHOUSE_PEER_SECRET = secret;

const { default: next } = await import("next");

const port = Number.parseInt(process.env.PORT ?? "3000", 10);
const hostname = process.env.HOSTNAME ?? "0.0.0.0";

const app = next({ dev: false, hostname, port });
const handle = app.getRequestHandler();
await app.prepare();

const server = createServer((request, response) => {
  request.headers["x-gatehouse-peer"] = `${secret} ${request.socket.remoteAddress ?? ""}`;
  void handle(request, response);
});

server.listen(port, hostname, () => {
  console.log(`Gatehouse listening on http://${hostname}:${port}`);
});

// Finish in-flight requests on a deploy's SIGTERM, but never hang the shutdown.
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 10_000).unref();
  });
}
