// What proxy.ts refuses before the app parses a request (lib/http/request-gate.ts) and the
// answer it gives (lib/http/refusal.ts). The same rules through the real server are in
// e2e/bad-input.test.ts.
import { describe, expect, it } from "vitest";

import { refusal, refusalFormat } from "@/lib/http/refusal";
import {
  BODY_TOO_LARGE_MESSAGE,
  CROSS_ORIGIN_MESSAGE,
  INCOMPLETE_BODY_MESSAGE,
} from "@/lib/http/refusal-messages";
import { bodyCheck, countBody, isCrossOriginPagePost, isSameOrigin } from "@/lib/http/request-gate";

const LIMIT = 1_024;

/** A stream of `sizes.length` chunks of the given sizes, optionally failing at the end. */
function streamOf(sizes: number[], { fail = false } = {}) {
  let pulls = 0;
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const size = sizes[pulls];
      pulls += 1;
      if (size !== undefined) controller.enqueue(new Uint8Array(size));
      else if (fail) controller.error(new Error("socket hang up"));
      else controller.close();
    },
    cancel() {
      cancelled = true;
    },
  });
  return { stream, pulls: () => pulls, cancelled: () => cancelled };
}

describe("bodyCheck", () => {
  it("judges a declared Content-Length from the header: the limit passes, one byte more does not", () => {
    const check = (contentLength: string) =>
      bodyCheck({ method: "POST", contentLength, limitBytes: LIMIT });
    expect(check("1024")).toEqual({ kind: "declared", bytes: 1_024, tooLarge: false });
    expect(check("1025")).toEqual({ kind: "declared", bytes: 1_025, tooLarge: true });
    expect(check("0")).toEqual({ kind: "declared", bytes: 0, tooLarge: false });
    // Far beyond any integer: still "more than the limit", never a parse failure.
    expect(check("9".repeat(40))).toMatchObject({ kind: "declared", tooLarge: true });
  });

  it("counts a body without Content-Length (chunked) as it arrives", () => {
    for (const method of ["POST", "PUT", "patch"]) {
      expect(bodyCheck({ method, contentLength: null, limitBytes: LIMIT })).toEqual({
        kind: "undeclared",
      });
    }
  });

  it("has nothing to check for GET and HEAD without a declared body", () => {
    for (const method of ["GET", "HEAD", "get"]) {
      expect(bodyCheck({ method, contentLength: null, limitBytes: LIMIT })).toEqual({
        kind: "none",
      });
    }
    // A declared one is judged whatever the method.
    expect(bodyCheck({ method: "GET", contentLength: "4096", limitBytes: LIMIT })).toMatchObject({
      tooLarge: true,
    });
  });
});

describe("countBody", () => {
  it("reads a body within the limit to its end", async () => {
    const body = streamOf([512, 512]);
    expect(await countBody(body.stream, LIMIT)).toBe("within");
    expect(body.cancelled()).toBe(false);
  });

  it("stops reading as soon as the limit is passed", async () => {
    const body = streamOf([1_000, 100, 5_000, 5_000, 5_000]);
    expect(await countBody(body.stream, LIMIT)).toBe("too-large");
    expect(body.cancelled()).toBe(true);
    // The chunk that crossed the limit was the last one read.
    expect(body.pulls()).toBeLessThanOrEqual(3);
  });

  it('says "incomplete" when the upload breaks off, and "within" without a body', async () => {
    expect(await countBody(streamOf([100], { fail: true }).stream, LIMIT)).toBe("incomplete");
    expect(await countBody(null, LIMIT)).toBe("within");
  });
});

describe("isCrossOriginPagePost", () => {
  const appUrl = "https://gatehouse.example.com";
  const post = (origin: string | null, pathname = "/sign-in", method = "POST") =>
    isCrossOriginPagePost({ method, pathname, origin, appUrl });

  it("refuses a POST to a page from another origin, or from an opaque one", () => {
    expect(post("https://evil.example")).toBe(true);
    // Same host, other scheme or port: another origin.
    expect(post("http://gatehouse.example.com")).toBe(true);
    expect(post("https://gatehouse.example.com:8443")).toBe(true);
    expect(post("https://sub.gatehouse.example.com")).toBe(true);
    // Sandboxed frames and privacy-sensitive contexts send "null".
    expect(post("null")).toBe(true);
    expect(post("garbage")).toBe(true);
  });

  it("lets the app's own origin through, and a request without Origin (as Next does)", () => {
    expect(post("https://gatehouse.example.com")).toBe(false);
    expect(post("https://GATEHOUSE.example.com")).toBe(false);
    expect(post("https://gatehouse.example.com:443")).toBe(false);
    expect(post(null)).toBe(false);
  });

  it("treats the loopback names as one, as APP_URL does", () => {
    const local = (origin: string) =>
      isCrossOriginPagePost({
        method: "POST",
        pathname: "/",
        origin,
        appUrl: "http://localhost:3000",
      });
    expect(local("http://127.0.0.1:3000")).toBe(false);
    expect(local("http://[::1]:3000")).toBe(false);
    expect(local("http://localhost:3001")).toBe(true);
  });

  it("leaves /api/* and other methods alone", () => {
    // OAuth providers with response_mode=form_post post to the callback from their origin.
    expect(post("https://appleid.apple.com", "/api/auth/callback/apple")).toBe(false);
    expect(post("https://evil.example", "/api")).toBe(false);
    expect(post("https://evil.example", "/apiary")).toBe(true);
    expect(post("https://evil.example", "/sign-in", "GET")).toBe(false);
  });
});

describe("isSameOrigin", () => {
  it("is true only for APP_URL's own origin", () => {
    const appUrl = "https://gatehouse.example.com";
    expect(isSameOrigin("https://gatehouse.example.com", appUrl)).toBe(true);
    expect(isSameOrigin("https://gatehouse.example.com:443", appUrl)).toBe(true);
    expect(isSameOrigin("http://gatehouse.example.com", appUrl)).toBe(false);
    expect(isSameOrigin("https://evil.example", appUrl)).toBe(false);
    expect(isSameOrigin("null", appUrl)).toBe(false);
    expect(isSameOrigin("http://127.0.0.1:3000", "http://localhost:3000")).toBe(true);
    // An APP_URL that is no origin matches nothing, itself included.
    expect(isSameOrigin("garbage", "garbage")).toBe(false);
  });
});

describe("refusals", () => {
  const request = (path: string, headers: Record<string, string> = {}) => ({
    url: `https://gatehouse.example.com${path}`,
    headers: new Headers(headers),
  });

  it("answer a server action in text/plain, a browser with a page, everything else in JSON", () => {
    expect(refusalFormat(request("/sign-in", { "next-action": "7f00", accept: "*/*" }))).toBe(
      "action",
    );
    expect(refusalFormat(request("/sign-in", { accept: "text/html,*/*" }))).toBe("html");
    expect(refusalFormat(request("/sign-in", { accept: "*/*" }))).toBe("json");
    expect(
      refusalFormat(request("/api/telegram", { accept: "text/html", "next-action": "x" })),
    ).toBe("json");
  });

  it("413 as JSON with the limit and the request id, and no caching", async () => {
    const response = refusal("body-too-large", {
      format: "json",
      requestId: "req_12345678",
      limitBytes: LIMIT,
    });
    expect(response.status).toBe(413);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("x-request-id")).toBe("req_12345678");
    expect(await response.json()).toEqual({
      error: "payload_too_large",
      message: BODY_TOO_LARGE_MESSAGE,
      limitBytes: LIMIT,
      requestId: "req_12345678",
    });
  });

  it("403 to a server action as exactly text/plain, which Next's client turns into an Error", async () => {
    const response = refusal("cross-origin", { format: "action", requestId: "req_12345678" });
    expect(response.status).toBe(403);
    // Next's client reads the text only for this exact content type.
    expect(response.headers.get("content-type")).toBe("text/plain");
    expect(await response.text()).toBe(CROSS_ORIGIN_MESSAGE);
  });

  it("a page without scripts that escapes what it shows", async () => {
    const response = refusal("incomplete-body", {
      format: "html",
      requestId: "<script>alert(1)</script>",
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await response.text();
    expect(html).toContain(INCOMPLETE_BODY_MESSAGE);
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain("&#60;script&#62;");
  });
});
