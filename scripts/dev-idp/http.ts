// Small HTTP and OAuth helpers shared by the fake providers.
import { createHash, randomBytes } from "node:crypto";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";

/** A request as the handlers see it: body already read and parsed. */
export interface ParsedRequest {
  method: string;
  url: URL;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: Record<string, string>;
}

/** Bodies of the fakes' requests are small; anything bigger is a bug in the caller. */
const MAX_BODY_BYTES = 1024 * 1024;

/** The whole body as UTF-8 (shared by the fake identity provider, Bot API and Upstash). */
export function readBody(request: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new Error(`fake server: request body over ${maxBytes} bytes`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

export const formToRecord = (form: URLSearchParams): Record<string, string> =>
  Object.fromEntries(form.entries());

/** Token responses must not be cached (RFC 6749 §5.1); the real providers all say so. */
const NO_STORE = { "cache-control": "no-store", pragma: "no-cache" };

export function sendJson(
  response: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify(value);
  response.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    ...NO_STORE,
    ...headers,
  });
  response.end(body);
}

/** Stack Exchange's API compresses every answer, asked or not; clients must inflate it. */
export function sendGzippedJson(response: ServerResponse, status: number, value: unknown): void {
  const body = gzipSync(JSON.stringify(value));
  response.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-encoding": "gzip",
    "content-length": body.length,
  });
  response.end(body);
}

export function sendForm(
  response: ServerResponse,
  status: number,
  fields: Record<string, string>,
): void {
  const body = new URLSearchParams(fields).toString();
  response.writeHead(status, {
    "content-type": "application/x-www-form-urlencoded; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    ...NO_STORE,
  });
  response.end(body);
}

export function sendHtml(response: ServerResponse, status: number, html: string): void {
  response.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(html),
    // Like the real consent pages: a Back/Forward visit asks the server again.
    "cache-control": "no-store",
  });
  response.end(html);
}

export function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  response.end(text);
}

export function redirect(response: ServerResponse, location: string): void {
  response.writeHead(302, { location, "content-length": 0 });
  response.end();
}

/** `base` with `params` added to whatever query it already has. */
export function withQuery(base: string, params: Record<string, string>): string {
  const url = new URL(base);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
}

export const randomToken = (bytes = 24): string => randomBytes(bytes).toString("base64url");

export const base64url = (data: Buffer): string => data.toString("base64url");

/** RFC 7636 §4.1: 43–128 unreserved characters. */
const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
/** base64url of a SHA-256 digest: 43 characters, no padding. */
export const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

export function pkceMatches(verifier: string, challenge: string): boolean {
  if (!CODE_VERIFIER.test(verifier)) return false;
  return base64url(createHash("sha256").update(verifier).digest()) === challenge;
}

export interface ClientCredentials {
  /** How the client authenticated: HTTP Basic, form fields, or neither. */
  method: "client_secret_basic" | "client_secret_post" | "none";
  clientId: string | null;
  clientSecret: string | null;
}

/**
 * The client's credentials from either an `Authorization: Basic` header (RFC 6749 §2.3.1:
 * each part form-urlencoded, then base64) or the form body. Using both at once is an error
 * (RFC 6749 §2.3); that is reported as `null`.
 */
export function clientCredentials(request: ParsedRequest): ClientCredentials | null {
  const header = request.headers.authorization;
  const fromBody = request.body.client_secret !== undefined;
  if (header?.toLowerCase().startsWith("basic ")) {
    if (fromBody) return null;
    const decoded = Buffer.from(header.slice("basic ".length).trim(), "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) return null;
    try {
      const decode = (part: string) => decodeURIComponent(part.replace(/\+/g, " "));
      return {
        method: "client_secret_basic",
        clientId: decode(decoded.slice(0, colon)),
        clientSecret: decode(decoded.slice(colon + 1)),
      };
    } catch {
      return null; // malformed percent-encoding: unauthenticated, not a crash
    }
  }
  return {
    method: fromBody ? "client_secret_post" : "none",
    clientId: request.body.client_id ?? null,
    clientSecret: request.body.client_secret ?? null,
  };
}

/** Whether the request authenticated as the registered client. */
export function sameClient(
  credentials: ClientCredentials | null,
  client: { clientId: string; clientSecret: string },
): boolean {
  return (
    credentials !== null &&
    credentials.clientId === client.clientId &&
    credentials.clientSecret === client.clientSecret
  );
}

/** The token of an `Authorization: <scheme> <token>` header, for the given schemes. */
export function authorizationToken(
  headers: IncomingHttpHeaders,
  schemes: readonly string[],
): string | null {
  const match = /^(\S+)\s+(\S+)$/.exec(headers.authorization ?? "");
  if (!match?.[1] || !match[2]) return null;
  return schemes.includes(match[1].toLowerCase()) ? match[2] : null;
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** A 1×1 transparent PNG, served as every default avatar so pages load no outside images. */
export const PIXEL_PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=",
  "base64",
);

export function sendPng(response: ServerResponse, png: Buffer): void {
  response.writeHead(200, { "content-type": "image/png", "content-length": png.length });
  response.end(png);
}
