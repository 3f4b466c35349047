// What leaves for the trace collector is scrubbed first. Next names its request spans after
// the URL and records it (http.target), and the outgoing-call spans record whole URLs: the
// emailed links' tokens (/reset-password?token=…), OAuth's code and state, Stack Exchange's
// access_token query parameter and the Telegram bot token in every Bot API path would all
// reach a third-party backend otherwise. Query values and bot tokens are replaced wherever
// a span carries text; the keys stay, so a trace still says which parameter was there.
import type { Attributes, AttributeValue } from "@opentelemetry/api";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";

// The logs' marker: a redacted value reads the same in a log line and in a trace.
import { REDACTED } from "@/lib/logger";

export { REDACTED };

// A query parameter's value: after ?key= or &key=, up to the next &, #, space or quote.
const QUERY_VALUE = /([?&][^=&#\s"']*)=[^&#\s"']*/g;
// The Bot API's paths: /bot<id>:<secret>/method.
const BOT_TOKEN = /\/bot\d+:[A-Za-z0-9_-]+/g;

export function scrubText(text: string): string {
  if (!text.includes("=") && !text.includes("/bot")) return text;
  return text.replace(QUERY_VALUE, `$1=${REDACTED}`).replace(BOT_TOKEN, `/bot${REDACTED}`);
}

function scrubValue(value: AttributeValue | undefined): AttributeValue | undefined {
  if (typeof value === "string") return scrubText(value);
  if (Array.isArray(value)) {
    return value.map((item: unknown) =>
      typeof item === "string" ? scrubText(item) : item,
    ) as AttributeValue;
  }
  return value;
}

export function scrubAttributes(attributes: Attributes): Attributes {
  const scrubbed: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) scrubbed[key] = scrubValue(value);
  return scrubbed;
}

/** A copy of `span` with its name, attributes and events' attributes scrubbed. */
export function scrubSpan(span: ReadableSpan): ReadableSpan {
  return {
    name: scrubText(span.name),
    kind: span.kind,
    spanContext: () => span.spanContext(),
    parentSpanContext: span.parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    status: span.status.message
      ? { ...span.status, message: scrubText(span.status.message) }
      : span.status,
    attributes: scrubAttributes(span.attributes),
    links: span.links,
    events: span.events.map((event) =>
      event.attributes ? { ...event, attributes: scrubAttributes(event.attributes) } : event,
    ),
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

/** Wraps the OTLP exporter: every span is scrubbed on its way out. */
export class ScrubbingExporter implements SpanExporter {
  constructor(private readonly inner: SpanExporter) {}

  export(spans: ReadableSpan[], done: Parameters<SpanExporter["export"]>[1]): void {
    this.inner.export(spans.map(scrubSpan), done);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}
