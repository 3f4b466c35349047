// The OpenTelemetry SDK, set up the way Next recommends (@vercel/otel). Imported only by
// lib/telemetry/start.ts, and only when a collector is configured: without one, none of
// this code — nor the SDK behind it — is loaded.
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { OTLPHttpJsonTraceExporter, OTLPHttpProtoTraceExporter, registerOTel } from "@vercel/otel";

import type { TracingSettings } from "@/lib/env";

import { ScrubbingExporter } from "./scrub";

export function registerTracing(settings: TracingSettings): void {
  const options = { url: settings.url, headers: settings.headers };
  const exporter =
    settings.protocol === "http/json"
      ? new OTLPHttpJsonTraceExporter(options)
      : new OTLPHttpProtoTraceExporter(options);
  registerOTel({
    // OTEL_SERVICE_NAME, when set, is this already (lib/env.ts); @vercel/otel would also
    // prefer it to this value.
    serviceName: settings.serviceName,
    // @vercel/otel describes every process as running on Vercel (cloud.provider "vercel");
    // a self-hosted server is not. Undefined removes a default attribute.
    ...(settings.onVercel
      ? {}
      : { attributes: { "cloud.provider": undefined, "vercel.runtime": undefined } }),
    // One processor, ours: @vercel/otel's "auto" would add an exporter of its own that
    // reads the same OTEL_* variables and sends the spans unscrubbed (scrub.ts).
    spanProcessors: [new BatchSpanProcessor(new ScrubbingExporter(exporter))],
  });
}
