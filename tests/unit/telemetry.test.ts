import {
  context,
  ROOT_CONTEXT,
  trace,
  type Context,
  type ContextManager,
  type Tracer,
} from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from "@opentelemetry/sdk-trace-base";
import { OTLPHttpJsonTraceExporter, OTLPHttpProtoTraceExporter } from "@vercel/otel";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";

import { SettingsError, type TracingSettings } from "@/lib/env";
import { createLogger } from "@/lib/logger";
import type { Prisma, SecurityEvent, SecurityEventType } from "@/lib/generated/prisma/client";
import { REDACTED, ScrubbingExporter, scrubAttributes, scrubText } from "@/lib/telemetry/scrub";
import { signInSpanHook } from "@/lib/telemetry/sign-in-span";
import { startTracing } from "@/lib/telemetry/start";
import { startOtlpReceiver, type OtlpReceiver } from "@/tests/support/otlp-receiver";

describe("scrubbing what leaves for the collector", () => {
  it("replaces every query value, keeping the keys", () => {
    expect(scrubText("GET /reset-password?token=abc123")).toBe(
      `GET /reset-password?token=${REDACTED}`,
    );
    expect(scrubText("/api/auth/callback/github?code=c0de&state=st4te&iss=x")).toBe(
      `/api/auth/callback/github?code=${REDACTED}&state=${REDACTED}&iss=${REDACTED}`,
    );
    expect(
      scrubText("https://api.stackexchange.com/2.3/me?site=stackoverflow&access_token=t0k"),
    ).toBe(`https://api.stackexchange.com/2.3/me?site=${REDACTED}&access_token=${REDACTED}`);
    // An empty value, and a fragment the value stops at.
    expect(scrubText("/x?a=&b=2#frag")).toBe(`/x?a=${REDACTED}&b=${REDACTED}#frag`);
  });

  it("replaces a Telegram bot token in a Bot API path", () => {
    expect(scrubText("https://api.telegram.org/bot123456:AAE-x_yZ/sendMessage")).toBe(
      `https://api.telegram.org/bot${REDACTED}/sendMessage`,
    );
    expect(scrubText("http POST https://api.telegram.org/bot9:abc/getMe")).toBe(
      `http POST https://api.telegram.org/bot${REDACTED}/getMe`,
    );
  });

  it("leaves text without a query or a token as it is", () => {
    for (const plain of ["POST /api/auth/[...nextauth]", "executing api route", "/account", ""]) {
      expect(scrubText(plain)).toBe(plain);
    }
  });

  it("scrubs string attributes and string arrays, and leaves numbers and booleans", () => {
    expect(
      scrubAttributes({
        "http.target": "/verify-email?token=t",
        "http.status_code": 200,
        "next.rsc": false,
        list: ["/a?x=1", "/b"],
      }),
    ).toEqual({
      "http.target": `/verify-email?token=${REDACTED}`,
      "http.status_code": 200,
      "next.rsc": false,
      list: [`/a?x=${REDACTED}`, "/b"],
    });
  });
});

describe("the exporter, against a local OTLP/HTTP collector", () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(async () => {
    await receiver.close();
  });

  async function send(exporter: SpanExporter, secret: string) {
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(new ScrubbingExporter(exporter))],
    });
    const tracer = provider.getTracer("test");
    const parent = tracer.startSpan(`GET /reset-password?token=${secret}`, {
      attributes: { "http.target": `/reset-password?token=${secret}`, "http.status_code": 200 },
    });
    const child = tracer.startSpan(
      "http GET https://api.telegram.org/bot1:" + secret + "/getMe",
      { attributes: { "http.url": `https://api.telegram.org/bot1:${secret}/getMe`, ok: true } },
      trace.setSpan(ROOT_CONTEXT, parent),
    );
    child.addEvent("gatehouse.sign_in", { "gatehouse.sign_in.result": "success", n: 3 });
    child.end();
    parent.end();
    await provider.forceFlush();
    await provider.shutdown();
    return { traceId: parent.spanContext().traceId, parentId: parent.spanContext().spanId };
  }

  for (const [protocol, make] of [
    ["http/protobuf", (url: string) => new OTLPHttpProtoTraceExporter({ url })],
    ["http/json", (url: string) => new OTLPHttpJsonTraceExporter({ url })],
  ] as const) {
    it(`${protocol}: the spans arrive, decoded, with no secret in the bytes sent`, async () => {
      const secret = `s3cret${Math.random().toString(36).slice(2)}`;
      const { traceId, parentId } = await send(make(`${receiver.url}/v1/traces`), secret);

      const parent = await receiver.waitForSpan((span) => span.spanId === parentId);
      expect(parent).toMatchObject({
        traceId,
        name: `GET /reset-password?token=${REDACTED}`,
        attributes: { "http.target": `/reset-password?token=${REDACTED}`, "http.status_code": 200 },
      });
      const child = await receiver.waitForSpan((span) => span.parentSpanId === parentId);
      expect(child.name).toBe(`http GET https://api.telegram.org/bot${REDACTED}/getMe`);
      expect(child.attributes).toEqual({
        "http.url": `https://api.telegram.org/bot${REDACTED}/getMe`,
        ok: true,
      });
      expect(child.events).toEqual([
        { name: "gatehouse.sign_in", attributes: { "gatehouse.sign_in.result": "success", n: 3 } },
      ]);
      expect(receiver.raw()).not.toContain(secret);
      expect(receiver.contentTypes().at(-1)).toContain(
        protocol === "http/json" ? "application/json" : "application/x-protobuf",
      );
    });
  }
});

describe("a collector that is down", () => {
  it("fails the export, and only the export: nothing thrown at the code that made the spans", async () => {
    const closed = await startOtlpReceiver();
    const url = `${closed.url}/v1/traces`;
    await closed.close();
    const tracer = new BasicTracerProvider().getTracer("test");
    const span = tracer.startSpan("GET /account");
    span.end();
    const exporter = new ScrubbingExporter(new OTLPHttpProtoTraceExporter({ url }));
    const result = await new Promise<{ code: number; error?: Error }>((resolve) =>
      exporter.export([span as unknown as ReadableSpan], resolve),
    );
    expect(result.code).toBe(1); // ExportResultCode.FAILED
    await exporter.shutdown();
  });
});

describe("starting tracing", () => {
  const settings: TracingSettings = {
    url: "http://127.0.0.1:4318/v1/traces",
    protocol: "http/protobuf",
    headers: {},
    serviceName: "gatehouse",
    onVercel: false,
  };

  it("loads nothing without a collector", async () => {
    const load = vi.fn();
    expect(await startTracing({ settings: () => null, load })).toBe(false);
    expect(load).not.toHaveBeenCalled();
  });

  it("loads the SDK and registers it with the settings when one is set", async () => {
    const registerTracing = vi.fn();
    const started = await startTracing({
      settings: () => settings,
      load: () => Promise.resolve({ registerTracing }),
    });
    expect(started).toBe(true);
    expect(registerTracing).toHaveBeenCalledExactlyOnceWith(settings);
  });

  it("stays off on invalid settings, which the start-up after it reports", async () => {
    const load = vi.fn();
    const invalid = () => {
      throw new SettingsError(["OTEL_EXPORTER_OTLP_ENDPOINT: must be an http(s) URL"]);
    };
    expect(await startTracing({ settings: invalid, load })).toBe(false);
    expect(load).not.toHaveBeenCalled();
    const broken = () => {
      throw new Error("not a settings problem");
    };
    await expect(startTracing({ settings: broken, load })).rejects.toThrow("not a settings");
  });
});

describe("a sign-in's verdict on the request's span", () => {
  // The smallest context manager that makes a span active for a synchronous call (the SDK's
  // AsyncLocalStorage one is @vercel/otel's, bundled inside it).
  let current: Context = ROOT_CONTEXT;
  const manager: ContextManager = {
    active: () => current,
    with(ctx, fn, thisArg, ...args) {
      const before = current;
      current = ctx;
      try {
        return fn.call(thisArg, ...args);
      } finally {
        current = before;
      }
    },
    bind: (_ctx, target) => target,
    enable() {
      return this;
    },
    disable() {
      return this;
    },
  };
  let tracer: Tracer;
  const exporter = new InMemorySpanExporter();
  beforeAll(() => {
    context.setGlobalContextManager(manager);
    tracer = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    }).getTracer("test");
  });
  afterEach(() => exporter.reset());
  afterAll(() => context.disable());

  const tx = {} as Prisma.TransactionClient; // the hook never touches the transaction
  const event = (type: SecurityEventType, method: string | null) =>
    ({ id: "e", type, method }) as SecurityEvent;

  it("adds gatehouse.sign_in with the method and result; other events add nothing", async () => {
    const hook = signInSpanHook();
    const span = tracer.startSpan("POST /api/auth/callback/password");
    // The hook reads the active span as it is called (this manager keeps it for the
    // synchronous part only).
    await context.with(trace.setSpan(ROOT_CONTEXT, span), () =>
      Promise.all([
        hook(tx, event("SIGN_IN", "password")),
        hook(tx, event("SIGN_IN_FAILED", "made-up-provider")),
        hook(tx, event("SIGN_UP", "password")),
      ]),
    );
    span.end();
    const [ended] = exporter.getFinishedSpans();
    expect(ended?.events.map(({ name, attributes }) => ({ name, attributes }))).toEqual([
      {
        name: "gatehouse.sign_in",
        attributes: {
          "gatehouse.sign_in.method": "password",
          "gatehouse.sign_in.result": "success",
        },
      },
      {
        name: "gatehouse.sign_in",
        attributes: { "gatehouse.sign_in.method": "other", "gatehouse.sign_in.result": "failure" },
      },
    ]);
  });

  it("puts the active span's trace_id and span_id on every log line, and nothing without one", () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      level: "info",
      format: "json",
      sink: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
    });
    const span = tracer.startSpan("GET /account");
    context.with(trace.setSpan(ROOT_CONTEXT, span), () => logger.info("inside"));
    logger.info("outside");
    span.end();
    expect(lines[0]).toMatchObject({
      message: "inside",
      trace_id: span.spanContext().traceId,
      span_id: span.spanContext().spanId,
    });
    expect(lines[1]?.message).toBe("outside");
    expect(lines[1]).not.toHaveProperty("trace_id");
  });

  it("does nothing when no span is active (tracing off)", async () => {
    await expect(signInSpanHook()(tx, event("SIGN_IN", "password"))).resolves.toBeUndefined();
  });
});
