import { describe, expect, it } from "vitest";
import {
  conformStackOverflowToken,
  decodeHtmlEntities,
  grantsBotAccess,
  localEndpoints,
  ProviderResponseError,
  realEndpoints,
  telegramProfile,
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

describe("Telegram's id_token claims", () => {
  const claims = {
    iss: "https://oauth.telegram.org",
    aud: "1000000001",
    sub: "per-app-subject",
    id: 424242,
    name: "Ada Lovelace",
    preferred_username: "ada",
    picture: "https://t.me/i/userpic/320/ada.jpg",
  };

  it("become an identity keyed by the Telegram user id, with no email", () => {
    expect(telegramProfile(claims, "openid profile telegram:bot_access")).toEqual({
      id: "424242",
      name: "Ada Lovelace",
      email: null,
      image: "https://t.me/i/userpic/320/ada.jpg",
      emailVerified: false,
      label: "@ada",
      telegram: { userId: "424242", username: "ada", botAccess: true },
    });
  });

  it("ignore any email a token might carry: Telegram never vouches for one", () => {
    const profile = telegramProfile(
      { ...claims, email: "ada@example.com", email_verified: true },
      "openid profile",
    );
    expect(profile.email).toBeNull();
    expect(profile.emailVerified).toBe(false);
  });

  it("say whether the person let the bot write to them", () => {
    expect(telegramProfile(claims, "openid profile").telegram?.botAccess).toBe(false);
    expect(grantsBotAccess("openid  telegram:bot_access profile")).toBe(true);
    expect(grantsBotAccess("openid telegram:bot_accessible")).toBe(false);
    // No scope in the answer: what was asked was granted (RFC 6749, 5.1).
    expect(grantsBotAccess(undefined)).toBe(true);
  });

  it("fall back to the username, then to no name, and accept the id as a string", () => {
    const { name, label } = telegramProfile(
      { sub: "s", id: "77", preferred_username: "bob" },
      undefined,
    );
    expect({ name, label }).toEqual({ name: "bob", label: "@bob" });
    const bare = telegramProfile({ sub: "s", id: 78 }, undefined);
    expect({ id: bare.id, name: bare.name, label: bare.label }).toEqual({
      id: "78",
      name: null,
      label: null,
    });
    const parts = telegramProfile({ sub: "s", id: 79, given_name: "Ada", family_name: "L" }, "");
    expect(parts.name).toBe("Ada L");
  });

  it.each([
    ["no id", { sub: "s" }],
    ["a zero id", { sub: "s", id: 0 }],
    ["a negative id (a group, not a person)", { sub: "s", id: -100 }],
    ["an id that is not a number", { sub: "s", id: "12ab" }],
    ["no sub", { id: 5 }],
  ])("refuse %s", (_what, raw) => {
    expect(() => telegramProfile(raw, undefined)).toThrow(ProviderResponseError);
  });
});
