// Prometheus's scrape endpoint (lib/metrics/endpoint.ts does the checking; docs/production.md,
// "Metrics"). 404 without METRICS_TOKEN.
import { withRouteErrors } from "@/lib/http/route";
import { serveMetrics } from "@/lib/metrics/endpoint";
import { getServices } from "@/lib/root";

// prom-client reads process figures (CPU, memory, event loop): Node only.
export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = withRouteErrors(
  () => getServices().logger,
  (request, { requestId }) => {
    const { settings, metrics } = getServices();
    return serveMetrics(
      { token: settings.metrics.token, registry: metrics.registry },
      request,
      requestId,
    );
  },
);
