import { describe, expect, it } from "vitest";
import {
  conformStackOverflowToken,
  decodeHtmlEntities,
  realEndpoints,
  localEndpoints,
} from "@/lib/auth/providers";

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

async function conformed(response: Response) {
  const result = await conformStackOverflowToken(response);
  return { status: result.status, body: (await result.json()) as Record<string, unknown> };
}

describe("Stack Overflow token answers", () => {
  it("adds the token_type Stack Exchange leaves out, and maps expires", async () => {
    expect(await conformed(json({ access_token: "tok))", expires: 86400 }))).toEqual({
      status: 200,
      body: { access_token: "tok))", token_type: "bearer", expires_in: 86400 },
    });
    expect((await conformed(json({ access_token: "forever" }))).body).toEqual({
      access_token: "forever",
      token_type: "bearer",
    });
  });

  it.each([
    [
      "OAuth-style JSON",
      json({ error: { type: "invalid_request", message: "code used" } }, 400),
      "code used",
    ],
    [
      "API-style JSON",
      json({ error_id: 400, error_message: "bad code", error_name: "bad_parameter" }, 400),
      "bad code",
    ],
    [
      "form-encoded",
      new Response("error=invalid_request&error_description=expired+code", {
        status: 400,
        headers: { "content-type": "application/x-www-form-urlencoded" },
      }),
      "expired code",
    ],
    [
      "an HTML page",
      new Response("<html><body>Oops</body></html>", { headers: { "content-type": "text/html" } }),
      "text/html",
    ],
    [
      "broken JSON",
      new Response("{", { headers: { "content-type": "application/json" } }),
      "unparseable",
    ],
  ])("turns %s into a standard OAuth error", async (_shape, response, description) => {
    const { status, body } = await conformed(response);
    expect(status).toBe(400);
    expect(body.error).toBe("invalid_grant");
    expect(body.error_description).toEqual(expect.stringContaining(description));
  });
});

describe("provider endpoints", () => {
  it("are the real ones unless a test base URL is given", () => {
    expect(realEndpoints.stackoverflow).toEqual({
      web: "https://stackoverflow.com",
      api: "https://api.stackexchange.com",
    });
    expect(localEndpoints("http://127.0.0.1:4000").google.issuer).toBe(
      "http://127.0.0.1:4000/google",
    );
  });
});

describe("decodeHtmlEntities", () => {
  it("restores what the person typed", () => {
    expect(decodeHtmlEntities("O&#39;Brien &amp; Sons &lt;3 &#x1F600; &quot;x&quot;")).toBe(
      `O'Brien & Sons <3 😀 "x"`,
    );
    expect(decodeHtmlEntities("&unknown; stays")).toBe("&unknown; stays");
  });
});
