// A local OTLP/HTTP trace collector for tests: it answers POST /v1/traces the way a real
// collector does and keeps what it received, decoded. Both of the exporter's encodings are
// read — http/protobuf (the default) with the small decoder below, http/json as JSON — so a
// test checks what would reach a tracing backend, byte for byte (`raw`).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type AttributeValue = string | number | boolean | AttributeValue[] | null;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, AttributeValue>;
  events: { name: string; attributes: Record<string, AttributeValue> }[];
  /** The resource's attributes (service.name …). */
  resource: Record<string, AttributeValue>;
}

export interface OtlpReceiver {
  /** The base URL: what OTEL_EXPORTER_OTLP_ENDPOINT is set to. */
  url: string;
  spans(): ReceivedSpan[];
  /** Every request body as received, decoded as UTF-8 (strings in protobuf are plain UTF-8). */
  raw(): string;
  /** The content types of the requests received. */
  contentTypes(): string[];
  /** Resolves with the first span `match` accepts, polling until `timeoutMs`. */
  waitForSpan(match: (span: ReceivedSpan) => boolean, timeoutMs?: number): Promise<ReceivedSpan>;
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const bodies: string[] = [];
  const types: string[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      const type = request.headers["content-type"] ?? "";
      if (request.method !== "POST" || request.url !== "/v1/traces") {
        response.writeHead(404).end();
        return;
      }
      types.push(type);
      bodies.push(body.toString("utf8"));
      try {
        spans.push(...(type.includes("json") ? fromJson(body) : fromProtobuf(body)));
      } catch (error) {
        response.writeHead(400, { "content-type": "text/plain" }).end(String(error));
        return;
      }
      // An empty ExportTraceServiceResponse: the same bytes in both encodings' terms.
      if (type.includes("json")) {
        response.writeHead(200, { "content-type": "application/json" }).end("{}");
      } else {
        response.writeHead(200, { "content-type": "application/x-protobuf" }).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    spans: () => [...spans],
    raw: () => bodies.join("\n"),
    contentTypes: () => [...types],
    async waitForSpan(match, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = spans.find(match);
        if (found) return found;
        if (Date.now() > deadline) {
          const names = [...new Set(spans.map((span) => span.name))].join(", ");
          throw new Error(`no matching span within ${timeoutMs} ms; received: ${names || "none"}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

// ---------------------------------------------------------------------------------------
// Protobuf: just enough of the wire format and of opentelemetry/proto/trace/v1 to read
// what the exporter sends (field numbers from trace.proto and common.proto).

interface Field {
  number: number;
  /** Varint and fixed-width values as bigint; length-delimited ones as bytes. */
  value: bigint | Uint8Array;
}

function readFields(bytes: Uint8Array): Field[] {
  const fields: Field[] = [];
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (at >= bytes.length) throw new Error("truncated varint");
      const byte = bytes[at++] ?? 0;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  const fixed = (size: number): bigint => {
    if (at + size > bytes.length) throw new Error("truncated fixed-width field");
    let result = 0n;
    for (let i = size - 1; i >= 0; i--) result = (result << 8n) | BigInt(bytes[at + i] ?? 0);
    at += size;
    return result;
  };
  while (at < bytes.length) {
    const key = Number(varint());
    const number = key >>> 3;
    switch (key & 7) {
      case 0:
        fields.push({ number, value: varint() });
        break;
      case 1:
        fields.push({ number, value: fixed(8) });
        break;
      case 2: {
        const length = Number(varint());
        if (at + length > bytes.length) throw new Error("truncated length-delimited field");
        fields.push({ number, value: bytes.subarray(at, at + length) });
        at += length;
        break;
      }
      case 5:
        fields.push({ number, value: fixed(4) });
        break;
      default:
        throw new Error(`unsupported wire type ${key & 7}`);
    }
  }
  return fields;
}

const text = (value: Field["value"]) =>
  typeof value === "bigint" ? String(value) : new TextDecoder().decode(value);
const hex = (value: Field["value"]) =>
  typeof value === "bigint" ? value.toString(16) : Buffer.from(value).toString("hex");
const bytesOf = (value: Field["value"]): Uint8Array =>
  typeof value === "bigint" ? new Uint8Array() : value;

function anyValue(bytes: Uint8Array): AttributeValue {
  for (const { number, value } of readFields(bytes)) {
    if (number === 1) return text(value);
    if (number === 2) return value === 1n;
    if (number === 3) return Number(BigInt.asIntN(64, value as bigint));
    if (number === 4) {
      return new Float64Array(new BigUint64Array([value as bigint]).buffer)[0] ?? null;
    }
    if (number === 5) {
      return readFields(bytesOf(value))
        .filter((item) => item.number === 1)
        .map((item) => anyValue(bytesOf(item.value)));
    }
  }
  return null;
}

function keyValues(fields: Field[], number: number): Record<string, AttributeValue> {
  const attributes: Record<string, AttributeValue> = {};
  for (const field of fields.filter((candidate) => candidate.number === number)) {
    let key = "";
    let value: AttributeValue = null;
    for (const part of readFields(bytesOf(field.value))) {
      if (part.number === 1) key = text(part.value);
      if (part.number === 2) value = anyValue(bytesOf(part.value));
    }
    attributes[key] = value;
  }
  return attributes;
}

function fromProtobuf(body: Uint8Array): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  // ExportTraceServiceRequest.resource_spans = 1
  for (const resourceSpans of readFields(body).filter((field) => field.number === 1)) {
    const parts = readFields(bytesOf(resourceSpans.value));
    // ResourceSpans.resource = 1 (Resource.attributes = 1), .scope_spans = 2
    const resourceField = parts.find((field) => field.number === 1);
    const resource = resourceField ? keyValues(readFields(bytesOf(resourceField.value)), 1) : {};
    for (const scopeSpans of parts.filter((field) => field.number === 2)) {
      // ScopeSpans.spans = 2
      for (const spanField of readFields(bytesOf(scopeSpans.value)).filter((f) => f.number === 2)) {
        const span = readFields(bytesOf(spanField.value));
        const one = (number: number) => span.find((field) => field.number === number)?.value;
        spans.push({
          traceId: hex(one(1) ?? new Uint8Array()),
          spanId: hex(one(2) ?? new Uint8Array()),
          parentSpanId: hex(one(4) ?? new Uint8Array()),
          name: text(one(5) ?? new Uint8Array()),
          kind: Number(one(6) ?? 0n),
          attributes: keyValues(span, 9),
          // Span.events = 11: Event.name = 2, Event.attributes = 3
          events: span
            .filter((field) => field.number === 11)
            .map((field) => {
              const event = readFields(bytesOf(field.value));
              const name = event.find((part) => part.number === 2)?.value;
              return { name: name ? text(name) : "", attributes: keyValues(event, 3) };
            }),
          resource,
        });
      }
    }
  }
  return spans;
}

// ---------------------------------------------------------------------------------------
// JSON: the same messages in OTLP's JSON mapping (ids as hex strings).

interface JsonKeyValue {
  key: string;
  value: JsonAnyValue;
}
interface JsonAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: JsonAnyValue[] };
}

function jsonValue(value: JsonAnyValue): AttributeValue {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(jsonValue);
  return null;
}

const jsonAttributes = (list: JsonKeyValue[] | undefined) =>
  Object.fromEntries((list ?? []).map(({ key, value }) => [key, jsonValue(value)]));

function fromJson(body: Buffer): ReceivedSpan[] {
  interface JsonSpan {
    traceId: string;
    spanId: string;
    parentSpanId?: string;
    name: string;
    kind: number;
    attributes?: JsonKeyValue[];
    events?: { name: string; attributes?: JsonKeyValue[] }[];
  }
  const request = JSON.parse(body.toString("utf8")) as {
    resourceSpans?: {
      resource?: { attributes?: JsonKeyValue[] };
      scopeSpans?: { spans?: JsonSpan[] }[];
    }[];
  };
  return (request.resourceSpans ?? []).flatMap((resourceSpans) =>
    (resourceSpans.scopeSpans ?? []).flatMap((scopeSpans) =>
      (scopeSpans.spans ?? []).map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? "",
        name: span.name,
        kind: span.kind,
        attributes: jsonAttributes(span.attributes),
        events: (span.events ?? []).map((event) => ({
          name: event.name,
          attributes: jsonAttributes(event.attributes),
        })),
        resource: jsonAttributes(resourceSpans.resource?.attributes),
      })),
    ),
  );
}
