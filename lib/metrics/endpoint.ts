// GET /api/metrics (app/api/metrics/route.ts): the process's metrics in Prometheus's text
// format, for a scraper that sends `Authorization: Bearer $METRICS_TOKEN`.
// - no METRICS_TOKEN → 404: the endpoint does not exist (as /api/outbox/sweep without
//   CRON_SECRET);
// - a missing or wrong token → 401 JSON, compared in constant time (the counts say how busy
//   the server is and how many sign-ins fail: not for everyone);
// - otherwise 200, never cached.
// The global per-IP rate limit applies (proxy.ts): a scrape every 15 s is a few requests a
// minute, far inside it, and a flood of guessed tokens is slowed like any other flood.
import type { Registry } from "prom-client";

import { jsonError } from "@/lib/http/route";
import { bearerToken, secretMatches } from "@/lib/http/secrets";

export interface MetricsEndpointDeps {
  /** METRICS_TOKEN; null turns the endpoint off. */
  token: string | null;
  registry: Pick<Registry, "metrics" | "contentType">;
}

export async function serveMetrics(
  deps: MetricsEndpointDeps,
  request: Request,
  requestId: string,
): Promise<Response> {
  if (deps.token === null) {
    return jsonError(404, "not_found", "No METRICS_TOKEN: metrics are off.", requestId);
  }
  if (!secretMatches(bearerToken(request.headers.get("authorization")), deps.token)) {
    const refusal = jsonError(401, "unauthorized", "Missing or wrong bearer token.", requestId);
    // RFC 6750: say which scheme would have worked.
    refusal.headers.set("www-authenticate", 'Bearer realm="metrics"');
    return refusal;
  }
  const body = await deps.registry.metrics();
  return new Response(body, {
    status: 200,
    headers: { "content-type": deps.registry.contentType, "cache-control": "no-store" },
  });
}
