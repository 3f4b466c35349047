// GET /api/metrics's answers (lib/metrics/endpoint.ts) with a registry of the test's own: off
// without a token (404), refused without the right one (401, JSON), the metrics with it.
import { describe, expect, it } from "vitest";

import { createMetrics } from "@/lib/metrics";
import { bearerToken } from "@/lib/http/secrets";
import { serveMetrics } from "@/lib/metrics/endpoint";

const TOKEN = "m3tr1cs-t0ken-abcdefghijklmnopqrstuvwxyz";

function scrape(authorization?: string): Request {
  return new Request("http://localhost/api/metrics", {
    headers: authorization === undefined ? {} : { authorization },
  });
}

describe("/api/metrics", () => {
  const metrics = createMetrics({ defaultMetrics: false });
  metrics.signIn("password", "success");

  it("does not exist without METRICS_TOKEN, whatever the request carries", async () => {
    const response = await serveMetrics(
      { token: null, registry: metrics.registry },
      scrape(`Bearer ${TOKEN}`),
      "req-1",
    );
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: "not_found", requestId: "req-1" });
  });

  it("refuses a missing, wrong or differently-sent token with 401 JSON and no metrics", async () => {
    for (const authorization of [
      undefined,
      "",
      "Bearer",
      "Bearer wrong",
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(0, -1)}`,
      `Basic ${TOKEN}`,
      TOKEN,
    ]) {
      const response = await serveMetrics(
        { token: TOKEN, registry: metrics.registry },
        scrape(authorization),
        "req-2",
      );
      expect(response.status, String(authorization)).toBe(401);
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      expect(response.headers.get("cache-control")).toBe("no-store");
      expect(response.headers.get("www-authenticate")).toBe('Bearer realm="metrics"');
      const text = await response.text();
      expect(text).not.toContain("gatehouse_");
      expect(JSON.parse(text)).toMatchObject({ error: "unauthorized", requestId: "req-2" });
    }
  });

  it("answers the metrics in Prometheus's text format to the right token, never cached", async () => {
    const response = await serveMetrics(
      { token: TOKEN, registry: metrics.registry },
      scrape(`Bearer ${TOKEN}`),
      "req-3",
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe(metrics.registry.contentType);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await response.text()).toContain(
      'gatehouse_sign_ins_total{method="password",result="success"} 1',
    );
  });

  it("reads the token from the Authorization header's Bearer scheme only", () => {
    expect(bearerToken(`Bearer ${TOKEN}`)).toBe(TOKEN);
    expect(bearerToken(`bearer ${TOKEN}`)).toBe(TOKEN);
    expect(bearerToken(`Bearer ${TOKEN} extra`)).toBeNull();
    expect(bearerToken(`Basic ${TOKEN}`)).toBeNull();
    expect(bearerToken(null)).toBeNull();
  });
});
