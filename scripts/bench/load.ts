// A closed-loop HTTP load generator: `connections` workers, each on its own keep-alive
// socket, send the next request as soon as the previous answer has been read in full. Same
// code, same process and same settings for every target, so differences between targets
// come from the servers. Written on node:http rather than fetch: undici's own overhead per
// request is higher and less steady, and it would be measured with the server.
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";

import type { CookieJar } from "./browser";

export interface LoadTarget {
  label: string;
  port: number;
  /** Host header: the app's APP_URL host, as a browser would send it. */
  host: string;
  path: string;
  /** Extra request headers; a function is called for every request (e.g. a new client
   *  address in X-Forwarded-For each time, so no per-address limit is ever reached). */
  headers?: Record<string, string> | (() => Record<string, string>);
  /** Cookies to send, updated from the answers' Set-Cookie as a browser would. */
  cookies?: CookieJar;
  /** The status every answer should have; others are counted as errors. */
  expectStatus: number;
}

export interface LoadRun {
  requests: number;
  errors: number;
  bytes: number;
  elapsedMs: number;
  /** Per request, ms, in completion order. */
  latencies: number[];
  /** Status (or error message) → count, for the ones that were not expected. */
  unexpected: Map<string, number>;
}

const REQUEST_TIMEOUT_MS = 30_000;
// A server that died answers every request at once with ECONNREFUSED; stop rather than spin.
const MAX_CONSECUTIVE_ERRORS = 200;

function once(agent: Agent, target: LoadTarget): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        agent,
        host: "127.0.0.1",
        port: target.port,
        path: target.path,
        method: "GET",
        // No Accept-Encoding: compression would cost both sides of a comparison the same
        // CPU and so pull every ratio towards 1.
        headers: {
          host: target.host,
          accept: "text/html",
          "user-agent": "gatehouse-bench",
          ...(typeof target.headers === "function" ? target.headers() : target.headers),
          ...(target.cookies ? { cookie: target.cookies.header() } : {}),
        },
      },
      (response) => {
        const setCookie = response.headers["set-cookie"];
        if (setCookie && target.cookies) target.cookies.store(setCookie);
        let bytes = 0;
        response.on("data", (chunk: Buffer) => {
          bytes += chunk.length;
        });
        response.once("end", () => resolve({ status: response.statusCode ?? 0, bytes }));
        response.once("error", reject);
      },
    );
    outgoing.setTimeout(REQUEST_TIMEOUT_MS, () =>
      outgoing.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)),
    );
    outgoing.once("error", reject);
    outgoing.end();
  });
}

export async function runLoad(
  target: LoadTarget,
  { connections, durationMs }: { connections: number; durationMs: number },
): Promise<LoadRun> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const result: LoadRun = {
    requests: 0,
    errors: 0,
    bytes: 0,
    elapsedMs: 0,
    latencies: [],
    unexpected: new Map(),
  };
  const note = (what: string) =>
    result.unexpected.set(what, (result.unexpected.get(what) ?? 0) + 1);
  let consecutiveErrors = 0;
  const start = performance.now();
  const deadline = start + durationMs;

  const worker = async () => {
    while (performance.now() < deadline) {
      const sent = performance.now();
      try {
        const { status, bytes } = await once(agent, target);
        result.latencies.push(performance.now() - sent);
        result.requests += 1;
        result.bytes += bytes;
        if (status === target.expectStatus) {
          consecutiveErrors = 0;
        } else {
          result.errors += 1;
          note(`HTTP ${status}`);
        }
      } catch (error) {
        result.errors += 1;
        note(error instanceof Error ? error.message : String(error));
        consecutiveErrors += 1;
        if (consecutiveErrors >= MAX_CONSECUTIVE_ERRORS) {
          throw new Error(`${target.label}: ${consecutiveErrors} requests failed in a row`, {
            cause: error,
          });
        }
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: connections }, worker));
  } finally {
    agent.destroy();
  }
  // Until the last answer arrived, not the deadline: requests in flight at the deadline
  // are counted, so the time they took must be too.
  result.elapsedMs = performance.now() - start;
  return result;
}

/** Several runs of one target, as one. */
export function mergeRuns(runs: readonly LoadRun[]): LoadRun {
  const merged: LoadRun = {
    requests: 0,
    errors: 0,
    bytes: 0,
    elapsedMs: 0,
    latencies: [],
    unexpected: new Map(),
  };
  for (const run of runs) {
    merged.requests += run.requests;
    merged.errors += run.errors;
    merged.bytes += run.bytes;
    merged.elapsedMs += run.elapsedMs;
    for (const latency of run.latencies) merged.latencies.push(latency);
    for (const [what, count] of run.unexpected) {
      merged.unexpected.set(what, (merged.unexpected.get(what) ?? 0) + count);
    }
  }
  return merged;
}
