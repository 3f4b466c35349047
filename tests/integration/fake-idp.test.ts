// The fake identity provider itself, over HTTP: each provider's full authorize → token →
// profile round trip (with PKCE and state), its error shapes, and every failure a test can
// inject. The Google and Telegram flows run through oauth4webapi — the OIDC client inside
// Auth.js — so a real client is shown to accept the discovery document, the JWKS and the
// id_token; Telegram's is also done by hand and its id_token verified with jose.
import { request as httpRequest } from "node:http";
import { createRemoteJWKSet, decodeJwt, jwtVerify } from "jose";
import * as o from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BOT_ACCESS_SCOPE,
  CODE_LIFETIME_MS,
  startFakeIdp,
  telegramSubject,
  type Clients,
  type FakeIdp,
  type FakeIdpOptions,
} from "@/scripts/dev-idp";

const APP = "http://127.0.0.1:3999";
const clients = {
  // Characters that HTTP Basic must form-urlencode (space, "+", "/", "=").
  google: {
    clientId: "gatehouse.apps.googleusercontent.com",
    clientSecret: "GOCSPX secret+/=",
    redirectUri: `${APP}/api/auth/callback/google`,
  },
  github: {
    clientId: "Iv1.gatehouse",
    clientSecret: "github-secret",
    redirectUri: `${APP}/api/auth/callback/github`,
  },
  // Stack Exchange secrets and keys really do end in "((".
  stackoverflow: {
    clientId: "31620",
    clientSecret: "sVAncu*uwmPRLwhBZ9lNQ((",
    key: "U4DMV*8nvpm3EOpvf69Rxw((",
    redirectUri: `${APP}/api/auth/callback/stackoverflow`,
  },
  // The client id is the bot's numeric id.
  telegram: {
    clientId: "7312345678",
    clientSecret: "tg secret+/=",
    redirectUri: `${APP}/api/auth/callback/telegram`,
    botName: "Gatehouse Bot",
  },
} satisfies Clients;

const insecure = { [o.allowInsecureRequests]: true } as const;

const started: FakeIdp[] = [];
async function start(options: Partial<FakeIdpOptions> = {}): Promise<FakeIdp> {
  const idp = await startFakeIdp({ clients, ...options });
  started.push(idp);
  return idp;
}

let idp: FakeIdp;
beforeAll(async () => {
  idp = await start();
});
afterAll(async () => {
  await Promise.all(started.map((fake) => fake.close()));
});

// --- helpers ------------------------------------------------------------------------------

async function pkce() {
  const verifier = o.generateRandomCodeVerifier();
  return { verifier, challenge: await o.calculatePKCECodeChallenge(verifier) };
}

function withParams(endpoint: string, params: Record<string, string>): string {
  const url = new URL(endpoint);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
}

interface ConsentPage {
  html: string;
  /** Posts the form as a browser would: its checked boxes are sent unless `fields` sets
   *  them (null leaves a box out, as unchecking it does). */
  submit(decision: "allow" | "deny", fields?: Record<string, string | null>): Promise<URL>;
}

/** The names of the checkboxes a page shows checked. */
const checkedBoxes = (html: string): string[] =>
  [...html.matchAll(/<input type="checkbox"[^>]*\bname="([^"]+)"[^>]*\schecked[\s>]/g)].map(
    (match) => match[1] ?? "",
  );

/** Opens an authorize URL and returns its consent page, ready to be submitted. */
async function openConsent(authorizeUrl: string): Promise<ConsentPage> {
  const response = await fetch(authorizeUrl, { redirect: "manual" });
  const html = await response.text();
  expect(response.status, html).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/html/);
  const consent = /name="consent" value="([^"]+)"/.exec(html)?.[1];
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  if (!consent || !action) throw new Error(`no consent form in:\n${html}`);
  return {
    html,
    async submit(decision, fields = {}) {
      const form = new URLSearchParams({ consent, decision });
      for (const name of checkedBoxes(html)) form.set(name, "1");
      for (const [name, value] of Object.entries(fields)) {
        if (value === null) form.delete(name);
        else form.set(name, value);
      }
      const answer = await fetch(new URL(action, authorizeUrl), {
        method: "POST",
        body: form,
        redirect: "manual",
      });
      expect(answer.status).toBe(302);
      return new URL(answer.headers.get("location") ?? "");
    },
  };
}

/** Authorize → consent → the callback URL the provider redirects to. */
async function authorize(authorizeUrl: string, decision: "allow" | "deny" = "allow") {
  return (await openConsent(authorizeUrl)).submit(decision);
}

function postForm(url: string, fields: Record<string, string>, headers: HeadersInit = {}) {
  return fetch(url, { method: "POST", body: new URLSearchParams(fields), headers });
}

/** HTTP Basic exactly as @auth/core builds it (its default client authentication). */
function authJsBasic(clientId: string, clientSecret: string): string {
  const encode = (part: string) => encodeURIComponent(part).replace(/%20/g, "+");
  return `Basic ${btoa(`${encode(clientId)}:${encode(clientSecret)}`)}`;
}

const json = async (response: Response): Promise<unknown> => response.json();

// --- Google -------------------------------------------------------------------------------

describe("Google (OpenID Connect)", () => {
  const { clientId, clientSecret, redirectUri } = clients.google;
  const client: o.Client = { client_id: clientId };

  async function discover(fake: FakeIdp): Promise<o.AuthorizationServer> {
    const issuer = new URL(fake.endpoints.google.issuer);
    return o.processDiscoveryResponse(issuer, await o.discoveryRequest(issuer, insecure));
  }

  async function googleCode(
    fake: FakeIdp,
    params: Record<string, string> = {},
  ): Promise<{ code: string; verifier: string; callback: URL }> {
    const { verifier, challenge } = await pkce();
    const callback = await authorize(
      withParams(fake.endpoints.google.authorization, {
        client_id: clientId,
        redirect_uri: redirectUri,
        response_type: "code",
        scope: "openid email profile",
        state: "google-state",
        code_challenge: challenge,
        code_challenge_method: "S256",
        ...params,
      }),
    );
    return { code: callback.searchParams.get("code") ?? "", verifier, callback };
  }

  const exchange = (fake: FakeIdp, fields: Record<string, string>, headers: HeadersInit = {}) =>
    postForm(
      fake.endpoints.google.token,
      { grant_type: "authorization_code", redirect_uri: redirectUri, ...fields },
      { authorization: authJsBasic(clientId, clientSecret), ...headers },
    );

  it("completes a sign-in through oauth4webapi: discovery, PKCE, nonce, id_token, JWKS, userinfo", async () => {
    const as = await discover(idp);
    expect(as).toMatchObject({
      issuer: `${idp.url}/google`,
      authorization_endpoint: `${idp.url}/google/authorize`,
      token_endpoint: `${idp.url}/google/token`,
      userinfo_endpoint: `${idp.url}/google/userinfo`,
      jwks_uri: `${idp.url}/google/jwks`,
      id_token_signing_alg_values_supported: ["RS256"],
    });
    expect(as.code_challenge_methods_supported).toContain("S256");

    const { verifier, challenge } = await pkce();
    const state = o.generateRandomState();
    const nonce = o.generateRandomNonce();
    const authorizationUrl = withParams(as.authorization_endpoint ?? "", {
      client_id: clientId,
      redirect_uri: redirectUri,
      response_type: "code",
      scope: "openid profile email",
      state,
      nonce,
      code_challenge: challenge,
      code_challenge_method: "S256",
    });
    const page = await openConsent(authorizationUrl);
    expect(page.html).toContain("<title>Fake Google — authorize Gatehouse</title>");
    expect(page.html).toContain("ada@example.com");
    expect(page.html).toMatch(/<button[^>]*>Authorize<\/button>/);
    const callback = await page.submit("allow");
    expect(callback.origin + callback.pathname).toBe(redirectUri);
    // Google adds `iss` to the redirect; oauth4webapi checks it against the issuer.
    expect(callback.searchParams.get("iss")).toBe(as.issuer);

    const params = o.validateAuthResponse(as, client, callback, state);
    const tokenResponse = await o.authorizationCodeGrantRequest(
      as,
      client,
      o.ClientSecretBasic(clientSecret),
      params,
      redirectUri,
      verifier,
      insecure,
    );
    const tokens = await o.processAuthorizationCodeResponse(as, client, tokenResponse, {
      expectedNonce: nonce,
      requireIdToken: true,
    });
    expect(tokens.token_type).toBe("bearer");
    const claims = o.getValidatedIdTokenClaims(tokens);
    expect(claims).toMatchObject({
      iss: as.issuer,
      aud: clientId,
      sub: "110248495921238986420",
      email: "ada@example.com",
      email_verified: true,
      name: "Ada Lovelace",
      nonce,
    });
    expect(claims?.picture).toEqual(expect.stringContaining(`${idp.url}/google/avatar`));
    // The signature, checked against the published JWKS (oauth4webapi trusts TLS by default).
    await o.validateApplicationLevelSignature(as, tokenResponse, insecure);
    const verified = await jwtVerify(
      tokens.id_token ?? "",
      createRemoteJWKSet(new URL(as.jwks_uri ?? "")),
      { issuer: as.issuer, audience: clientId, algorithms: ["RS256"] },
    );
    expect(verified.payload.sub).toBe(claims?.sub);

    const userinfo = await o.processUserInfoResponse(
      as,
      client,
      claims?.sub ?? "",
      await o.userInfoRequest(as, client, tokens.access_token, insecure),
    );
    expect(userinfo).toMatchObject({ sub: claims?.sub, email: "ada@example.com" });

    const [authorizeCall] = idp.callsTo("google", "authorize").slice(-1);
    expect(authorizeCall?.query).toMatchObject({ code_challenge_method: "S256", nonce, state });
    const [tokenCall] = idp.callsTo("google", "token").slice(-1);
    expect(tokenCall?.headers.authorization).toMatch(/^Basic /);
    expect(tokenCall?.body.code_verifier).toBe(verifier);
  });

  it("serves the signing key as a JWKS", async () => {
    const jwks = (await json(await fetch(idp.endpoints.google.jwks))) as {
      keys: Record<string, unknown>[];
    };
    expect(jwks.keys).toEqual([expect.objectContaining({ kty: "RSA", alg: "RS256", use: "sig" })]);
    expect(jwks.keys[0]).not.toHaveProperty("d");
  });

  it("echoes no nonce when none was sent, and leaves out email without the email scope", async () => {
    const { code, verifier } = await googleCode(idp, { scope: "openid profile" });
    const body = (await json(await exchange(idp, { code, code_verifier: verifier }))) as {
      id_token: string;
      scope: string;
    };
    const claims = decodeJwt(body.id_token);
    expect(claims).not.toHaveProperty("nonce");
    expect(claims).not.toHaveProperty("email");
    expect(claims.name).toBe("Ada Lovelace");
    expect(body.scope).toBe("openid https://www.googleapis.com/auth/userinfo.profile");
  });

  it("accepts client_secret_post and refuses both methods at once", async () => {
    const { code, verifier } = await googleCode(idp);
    const both = await exchange(
      idp,
      { code, code_verifier: verifier, client_id: clientId, client_secret: clientSecret },
      {},
    );
    expect(both.status).toBe(401);
    const post = await postForm(idp.endpoints.google.token, {
      grant_type: "authorization_code",
      redirect_uri: redirectUri,
      code,
      code_verifier: verifier,
      client_id: clientId,
      client_secret: clientSecret,
    });
    expect(post.status).toBe(200);
  });

  it("refuses a second use of a code, a wrong secret, a wrong redirect_uri and a wrong verifier", async () => {
    const { code, verifier } = await googleCode(idp);

    const wrongSecret = await exchange(
      idp,
      { code, code_verifier: verifier },
      { authorization: authJsBasic(clientId, "nope") },
    );
    expect(wrongSecret.status).toBe(401);
    expect(await json(wrongSecret)).toEqual({
      error: "invalid_client",
      error_description: "Unauthorized",
    });

    const wrongRedirect = await exchange(idp, {
      code,
      code_verifier: verifier,
      redirect_uri: `${APP}/elsewhere`,
    });
    expect(wrongRedirect.status).toBe(400);
    expect(await json(wrongRedirect)).toMatchObject({ error: "redirect_uri_mismatch" });

    const wrongVerifier = await exchange(idp, {
      code,
      code_verifier: o.generateRandomCodeVerifier(),
    });
    expect(await json(wrongVerifier)).toEqual({
      error: "invalid_grant",
      error_description: "Invalid code verifier.",
    });
    const noVerifier = await exchange(idp, { code });
    expect(await json(noVerifier)).toMatchObject({ error_description: "Missing code verifier." });

    // Failed exchanges do not spend the code; the first good one does.
    expect((await exchange(idp, { code, code_verifier: verifier })).status).toBe(200);
    const again = await exchange(idp, { code, code_verifier: verifier });
    expect(again.status).toBe(400);
    expect(await json(again)).toEqual({ error: "invalid_grant", error_description: "Bad Request" });
  });

  it("refuses a code_verifier for a code that had no challenge", async () => {
    const callback = await authorize(
      withParams(idp.endpoints.google.authorization, {
        client_id: clientId,
        redirect_uri: redirectUri,
        response_type: "code",
        scope: "openid",
        state: "s",
      }),
    );
    const code = callback.searchParams.get("code") ?? "";
    const answer = await exchange(idp, { code, code_verifier: o.generateRandomCodeVerifier() });
    expect(await json(answer)).toMatchObject({ error: "invalid_grant" });
    expect((await exchange(idp, { code })).status).toBe(200);
  });

  it("redirects with error=access_denied and the state when the person cancels", async () => {
    const { challenge } = await pkce();
    const callback = await authorize(
      withParams(idp.endpoints.google.authorization, {
        client_id: clientId,
        redirect_uri: redirectUri,
        response_type: "code",
        scope: "openid",
        state: "cancel-state",
        code_challenge: challenge,
        code_challenge_method: "S256",
      }),
      "deny",
    );
    expect(Object.fromEntries(callback.searchParams)).toEqual({
      error: "access_denied",
      state: "cancel-state",
    });
  });

  it.each([
    ["an unknown client_id", { client_id: "someone-else" }, /invalid_client/],
    ["an unregistered redirect_uri", { redirect_uri: `${APP}/evil` }, /redirect_uri_mismatch/],
    ["response_type=token", { response_type: "token" }, /unsupported_response_type/],
    ["no state", { state: "" }, /state is missing/],
    ["no scope", { scope: "" }, /scope/],
    ["plain PKCE", { code_challenge_method: "plain" }, /S256/],
  ])("answers %s with an error page, not a redirect", async (_name, override, message) => {
    const { challenge } = await pkce();
    const response = await fetch(
      withParams(idp.endpoints.google.authorization, {
        client_id: clientId,
        redirect_uri: redirectUri,
        response_type: "code",
        scope: "openid",
        state: "s",
        code_challenge: challenge,
        code_challenge_method: "S256",
        ...override,
      }),
      { redirect: "manual" },
    );
    expect(response.status).toBe(400);
    expect(response.headers.get("location")).toBeNull();
    expect(await response.text()).toMatch(message);
  });

  it("signs in whoever setIdentity names; a page already shown keeps its identity", async () => {
    const fake = await start();
    const { challenge, verifier } = await pkce();
    const authorizationUrl = withParams(fake.endpoints.google.authorization, {
      client_id: clientId,
      redirect_uri: redirectUri,
      response_type: "code",
      scope: "openid email",
      state: "s",
      code_challenge: challenge,
      code_challenge_method: "S256",
    });
    const earlier = await openConsent(authorizationUrl);
    fake.setIdentity("google", {
      sub: "2",
      email: "grace@example.com",
      email_verified: false,
      name: "Grace Hopper",
    });
    const later = await openConsent(authorizationUrl);
    expect(later.html).toContain("grace@example.com (unverified)");

    const claimsOf = async (page: ConsentPage) => {
      const code = (await page.submit("allow")).searchParams.get("code") ?? "";
      const body = (await json(await exchange(fake, { code, code_verifier: verifier }))) as {
        id_token: string;
      };
      return decodeJwt(body.id_token);
    };
    expect(await claimsOf(earlier)).toMatchObject({ sub: "110248495921238986420" });
    expect(await claimsOf(later)).toMatchObject({
      sub: "2",
      email: "grace@example.com",
      email_verified: false,
    });
  });

  it("lets a consent page be submitted again (Back, then Authorize) for a new code", async () => {
    const { challenge, verifier } = await pkce();
    const page = await openConsent(
      withParams(idp.endpoints.google.authorization, {
        client_id: clientId,
        redirect_uri: redirectUri,
        response_type: "code",
        scope: "openid",
        state: "s",
        code_challenge: challenge,
        code_challenge_method: "S256",
      }),
    );
    const first = (await page.submit("allow")).searchParams.get("code") ?? "";
    const second = (await page.submit("allow")).searchParams.get("code") ?? "";
    expect(second).not.toBe(first);
    expect((await exchange(idp, { code: first, code_verifier: verifier })).status).toBe(200);
    expect((await exchange(idp, { code: second, code_verifier: verifier })).status).toBe(200);
  });

  it("expires codes after 60 seconds and access tokens after an hour", async () => {
    let clock = Date.now();
    const fake = await start({ now: () => clock });
    const { code, verifier } = await googleCode(fake);
    clock += CODE_LIFETIME_MS + 1;
    const late = await exchange(fake, { code, code_verifier: verifier });
    expect(await json(late)).toMatchObject({ error: "invalid_grant" });

    const fresh = await googleCode(fake);
    const { access_token } = (await json(
      await exchange(fake, { code: fresh.code, code_verifier: fresh.verifier }),
    )) as { access_token: string };
    const userinfo = () =>
      fetch(fake.endpoints.google.userinfo, {
        headers: { authorization: `Bearer ${access_token}` },
      });
    expect((await userinfo()).status).toBe(200);
    clock += 3600_000;
    const expired = await userinfo();
    expect(expired.status).toBe(401);
    expect(expired.headers.get("www-authenticate")).toMatch(/^Bearer /);
  });

  describe("failNext", () => {
    it("token-error: a 400 invalid_grant once, then normal answers", async () => {
      const { code, verifier } = await googleCode(idp);
      idp.failNext("google", "token-error");
      const failed = await exchange(idp, { code, code_verifier: verifier });
      expect(failed.status).toBe(400);
      expect(await json(failed)).toMatchObject({ error: "invalid_grant" });
      expect((await exchange(idp, { code, code_verifier: verifier })).status).toBe(200);
    });

    it("html: a 200 HTML page where JSON belongs, which oauth4webapi refuses", async () => {
      const as = await discover(idp);
      const { verifier, callback } = await googleCode(idp);
      idp.failNext("google", "html");
      const response = await o.authorizationCodeGrantRequest(
        as,
        client,
        o.ClientSecretBasic(clientSecret),
        o.validateAuthResponse(as, client, callback, "google-state"),
        redirectUri,
        verifier,
        insecure,
      );
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^text\/html/);
      await expect(
        o.processAuthorizationCodeResponse(as, client, response, { requireIdToken: true }),
      ).rejects.toThrow(/content-type must be application\/json/);
    });

    it("timeout: never answers, until the client gives up; the next request is answered", async () => {
      const { code, verifier } = await googleCode(idp);
      idp.failNext("google", "timeout");
      await expect(
        fetch(idp.endpoints.google.token, {
          method: "POST",
          body: new URLSearchParams({ code }),
          signal: AbortSignal.timeout(200),
        }),
      ).rejects.toThrow(/aborted|timeout/i);
      expect((await exchange(idp, { code, code_verifier: verifier })).status).toBe(200);
    });

    it("timeout with answerAfterMs: answers normally, late", async () => {
      const { code, verifier } = await googleCode(idp);
      idp.failNext("google", { kind: "timeout", answerAfterMs: 300 });
      const startedAt = performance.now();
      const answer = await exchange(idp, { code, code_verifier: verifier });
      expect(performance.now() - startedAt).toBeGreaterThanOrEqual(250);
      expect(answer.status).toBe(200);
    });
  });
});

// --- GitHub -------------------------------------------------------------------------------

describe("GitHub (OAuth 2)", () => {
  const { clientId, clientSecret, redirectUri } = clients.github;
  const userAgent = { "user-agent": "authjs" };

  async function githubCode(
    fake: FakeIdp,
    params: Record<string, string> = {},
  ): Promise<{ code: string; verifier: string; callback: URL }> {
    const { verifier, challenge } = await pkce();
    const callback = await authorize(
      withParams(fake.endpoints.github.authorization, {
        client_id: clientId,
        redirect_uri: redirectUri,
        response_type: "code",
        scope: "read:user user:email",
        state: "github-state",
        code_challenge: challenge,
        code_challenge_method: "S256",
        ...params,
      }),
    );
    return { code: callback.searchParams.get("code") ?? "", verifier, callback };
  }

  const exchange = (fields: Record<string, string>, headers: HeadersInit = {}) =>
    postForm(
      idp.endpoints.github.token,
      { grant_type: "authorization_code", redirect_uri: redirectUri, ...fields },
      {
        accept: "application/json",
        authorization: authJsBasic(clientId, clientSecret),
        ...headers,
      },
    );

  const api = (url: string, token: string) =>
    fetch(url, { headers: { authorization: `Bearer ${token}`, ...userAgent } });

  it("completes a sign-in as Auth.js does it: Basic auth, PKCE, JSON token, /user, /user/emails", async () => {
    const { code, verifier, callback } = await githubCode(idp);
    expect(Object.fromEntries(callback.searchParams)).toEqual({ code, state: "github-state" });

    // oauth4webapi (inside Auth.js) accepts the token answer; Auth.js's GitHub provider sets
    // no discovery, so the "server" is just the token endpoint under GitHub's issuer.
    const as: o.AuthorizationServer = {
      issuer: `${idp.url}/github/login/oauth`,
      token_endpoint: idp.endpoints.github.token,
    };
    const client: o.Client = { client_id: clientId };
    const tokens = await o.processAuthorizationCodeResponse(
      as,
      client,
      await o.authorizationCodeGrantRequest(
        as,
        client,
        o.ClientSecretBasic(clientSecret),
        o.validateAuthResponse(as, client, callback, "github-state"),
        redirectUri,
        verifier,
        insecure,
      ),
    );
    expect(tokens).toMatchObject({ token_type: "bearer", scope: "read:user,user:email" });
    expect(tokens.access_token).toMatch(/^gho_[0-9a-f]{36}$/);

    const user = await api(idp.endpoints.github.user, tokens.access_token);
    expect(user.status).toBe(200);
    expect(user.headers.get("x-oauth-scopes")).toBe("read:user, user:email");
    expect(await json(user)).toMatchObject({
      id: 5_083_511,
      login: "ada",
      name: "Ada Lovelace",
      email: null,
      avatar_url: expect.stringContaining(`${idp.url}/github/avatar`) as unknown,
    });
    const emails = await api(idp.endpoints.github.emails, tokens.access_token);
    expect(await json(emails)).toEqual([
      { email: "ada@example.com", primary: true, verified: true, visibility: "private" },
    ]);
    // The GitHub Enterprise layout (`/api/v3`) answers too.
    expect((await api(`${idp.url}/github/api/v3/user`, tokens.access_token)).status).toBe(200);

    const [authorizeCall] = idp.callsTo("github", "authorize").slice(-1);
    expect(authorizeCall?.query).toMatchObject({
      code_challenge_method: "S256",
      state: "github-state",
    });
  });

  it("answers form-encoded text unless JSON is asked for", async () => {
    const { code, verifier } = await githubCode(idp);
    const answer = await exchange({ code, code_verifier: verifier }, { accept: "*/*" });
    expect(answer.headers.get("content-type")).toMatch(/^application\/x-www-form-urlencoded/);
    const fields = new URLSearchParams(await answer.text());
    expect(fields.get("token_type")).toBe("bearer");
    expect(fields.get("access_token")).toMatch(/^gho_/);
  });

  it("reports token errors with HTTP 200, as GitHub does", async () => {
    const { code, verifier } = await githubCode(idp);
    const cases: [Record<string, string>, HeadersInit, string][] = [
      [{}, { authorization: authJsBasic(clientId, "wrong") }, "incorrect_client_credentials"],
      [{ redirect_uri: `${APP}/elsewhere` }, {}, "redirect_uri_mismatch"],
      [{ code_verifier: o.generateRandomCodeVerifier() }, {}, "bad_verification_code"],
      [{ code: "0123456789abcdef0123" }, {}, "bad_verification_code"],
    ];
    for (const [fields, headers, error] of cases) {
      const answer = await exchange({ code, code_verifier: verifier, ...fields }, headers);
      expect(answer.status).toBe(200);
      expect(await json(answer)).toMatchObject({
        error,
        error_description: expect.any(String) as unknown,
        error_uri: expect.stringContaining("docs.github.com") as unknown,
      });
    }
    // None of those spent the code; this does, and a second use is refused.
    expect(await json(await exchange({ code, code_verifier: verifier }))).toHaveProperty(
      "access_token",
    );
    const reused = await exchange({ code, code_verifier: verifier }, { accept: "" });
    expect(reused.status).toBe(200);
    expect(new URLSearchParams(await reused.text()).get("error")).toBe("bad_verification_code");
  });

  it("guards the API: token required, User-Agent required, /user/emails needs user:email", async () => {
    const noToken = await fetch(idp.endpoints.github.user, { headers: userAgent });
    expect(noToken.status).toBe(401);
    expect(await json(noToken)).toMatchObject({ message: "Requires authentication" });
    const badToken = await api(idp.endpoints.github.user, "gho_nope");
    expect(await json(badToken)).toMatchObject({ message: "Bad credentials" });

    const { code, verifier } = await githubCode(idp, { scope: "read:user" });
    const { access_token } = (await json(await exchange({ code, code_verifier: verifier }))) as {
      access_token: string;
    };
    expect((await api(idp.endpoints.github.emails, access_token)).status).toBe(404);
    // `token` is GitHub's older scheme and still accepted.
    const legacy = await fetch(idp.endpoints.github.user, {
      headers: { authorization: `token ${access_token}`, ...userAgent },
    });
    expect(legacy.status).toBe(200);

    // fetch always sends a User-Agent; node:http sends none unless told to.
    const status = await new Promise<number | undefined>((resolve, reject) => {
      httpRequest(idp.endpoints.github.user, {
        headers: { authorization: `Bearer ${access_token}` },
      })
        .on("response", (response) => {
          response.resume();
          resolve(response.statusCode);
        })
        .on("error", reject)
        .end();
    });
    expect(status).toBe(403);
  });

  it("shows the identity setIdentity gives, public email and unverified addresses included", async () => {
    const fake = await start();
    fake.setIdentity("github", {
      id: 42,
      login: "grace",
      name: null,
      email: "grace@public.example",
      emails: [
        { email: "grace@example.com", primary: true, verified: false },
        { email: "grace@public.example", primary: false, verified: true, visibility: "public" },
      ],
    });
    const { code, verifier } = await githubCode(fake);
    const token = (await json(
      await postForm(
        fake.endpoints.github.token,
        { code, code_verifier: verifier, client_id: clientId, client_secret: clientSecret },
        { accept: "application/json" },
      ),
    )) as { access_token: string };
    const user = (await json(await api(fake.endpoints.github.user, token.access_token))) as Record<
      string,
      unknown
    >;
    expect(user).toMatchObject({
      id: 42,
      login: "grace",
      name: null,
      email: "grace@public.example",
    });
    expect(await json(await api(fake.endpoints.github.emails, token.access_token))).toEqual([
      { email: "grace@example.com", primary: true, verified: false, visibility: "private" },
      { email: "grace@public.example", primary: false, verified: true, visibility: "public" },
    ]);
  });

  it("redirects a cancel with GitHub's access_denied parameters", async () => {
    const callback = await authorize(
      withParams(idp.endpoints.github.authorization, {
        client_id: clientId,
        redirect_uri: redirectUri,
        response_type: "code",
        state: "gh-cancel",
      }),
      "deny",
    );
    expect(callback.searchParams.get("error")).toBe("access_denied");
    expect(callback.searchParams.get("state")).toBe("gh-cancel");
    expect(callback.searchParams.get("error_description")).toMatch(/denied/);
  });

  describe("failNext", () => {
    it("token-error: bad_verification_code with HTTP 200, once", async () => {
      const { code, verifier } = await githubCode(idp);
      idp.failNext("github", "token-error");
      const failed = await exchange({ code, code_verifier: verifier });
      expect(failed.status).toBe(200);
      expect(await json(failed)).toMatchObject({ error: "bad_verification_code" });
      expect(await json(await exchange({ code, code_verifier: verifier }))).toHaveProperty(
        "access_token",
      );
    });

    it("html and timeout", async () => {
      const { code, verifier } = await githubCode(idp);
      idp.failNext("github", "html");
      idp.failNext("github", "timeout");
      const html = await exchange({ code, code_verifier: verifier });
      expect(html.headers.get("content-type")).toMatch(/^text\/html/);
      expect(await html.text()).toContain("Unicorn!");
      await expect(
        fetch(idp.endpoints.github.token, { method: "POST", signal: AbortSignal.timeout(200) }),
      ).rejects.toThrow(/aborted|timeout/i);
      expect((await exchange({ code, code_verifier: verifier })).status).toBe(200);
    });
  });
});

// --- Stack Overflow -----------------------------------------------------------------------

describe("Stack Overflow (Stack Exchange OAuth 2)", () => {
  const { clientId, clientSecret, key, redirectUri } = clients.stackoverflow;

  async function stackCode(
    fake: FakeIdp,
    params: Record<string, string> = {},
  ): Promise<{ code: string; verifier: string; callback: URL }> {
    const { verifier, challenge } = await pkce();
    const callback = await authorize(
      withParams(fake.endpoints.stackoverflow.authorization, {
        client_id: clientId,
        redirect_uri: redirectUri,
        response_type: "code",
        scope: "",
        state: "so-state",
        code_challenge: challenge,
        code_challenge_method: "S256",
        ...params,
      }),
    );
    return { code: callback.searchParams.get("code") ?? "", verifier, callback };
  }

  /** client_secret_post, as Stack Exchange wants it. */
  const exchange = (fake: FakeIdp, fields: Record<string, string>, url?: string) =>
    postForm(
      url ?? fake.endpoints.stackoverflow.token,
      {
        grant_type: "authorization_code",
        redirect_uri: redirectUri,
        client_id: clientId,
        client_secret: clientSecret,
        ...fields,
      },
      { accept: "application/json" },
    );

  async function accessToken(fake: FakeIdp = idp): Promise<string> {
    const { code, verifier } = await stackCode(fake);
    const body = (await json(await exchange(fake, { code, code_verifier: verifier }))) as {
      access_token: string;
    };
    return body.access_token;
  }

  const me = (token: string | null, query: Record<string, string> = {}, fake: FakeIdp = idp) =>
    fetch(withParams(fake.endpoints.stackoverflow.me, { site: "stackoverflow", key, ...query }), {
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
    });

  it("completes a sign-in: PKCE, client_secret_post, {access_token, expires}, /me with Bearer", async () => {
    const { code, verifier, callback } = await stackCode(idp);
    expect(Object.fromEntries(callback.searchParams)).toEqual({ code, state: "so-state" });
    expect(code).toMatch(/\)\)$/);

    const answer = await exchange(idp, { code, code_verifier: verifier });
    expect(answer.status).toBe(200);
    const body = (await json(answer)) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["access_token", "expires"]);
    expect(body.expires).toBe(86_400);
    expect(body.access_token).toMatch(/\)\)$/);

    const profile = await me(String(body.access_token));
    expect(profile.status).toBe(200);
    expect(profile.headers.get("content-encoding")).toBe("gzip");
    expect(await json(profile)).toMatchObject({
      items: [
        {
          user_id: 2_203_817,
          display_name: "Ada Lovelace",
          link: "https://stackoverflow.com/users/2203817/ada-lovelace",
          profile_image: expect.stringContaining(`${idp.url}/stackoverflow/avatar`) as unknown,
        },
      ],
      has_more: false,
      quota_max: 10_000,
    });

    const [authorizeCall] = idp.callsTo("stackoverflow", "authorize").slice(-1);
    expect(authorizeCall?.query).toMatchObject({ code_challenge_method: "S256", scope: "" });
  });

  it("gives oauth4webapi no token_type, so Auth.js needs a conform step", async () => {
    const { verifier, callback } = await stackCode(idp);
    const as: o.AuthorizationServer = {
      issuer: `${idp.url}/stackoverflow`,
      token_endpoint: idp.endpoints.stackoverflow.token,
    };
    const client: o.Client = { client_id: clientId };
    const response = await o.authorizationCodeGrantRequest(
      as,
      client,
      o.ClientSecretPost(clientSecret),
      o.validateAuthResponse(as, client, callback, "so-state"),
      redirectUri,
      verifier,
      insecure,
    );
    await expect(o.processAuthorizationCodeResponse(as, client, response)).rejects.toThrow(
      /token_type/,
    );
  });

  it("answers /oauth/access_token form-encoded, and leaves out expires with no_expiry", async () => {
    const { code, verifier } = await stackCode(idp, { scope: "no_expiry" });
    const answer = await exchange(
      idp,
      { code, code_verifier: verifier },
      idp.endpoints.stackoverflow.formToken,
    );
    expect(answer.headers.get("content-type")).toMatch(/^application\/x-www-form-urlencoded/);
    const fields = new URLSearchParams(await answer.text());
    expect([...fields.keys()]).toEqual(["access_token"]);
  });

  it("reads client credentials from the body only, and refuses reused codes and bad PKCE", async () => {
    const { code, verifier } = await stackCode(idp);
    const basic = await postForm(
      idp.endpoints.stackoverflow.token,
      { code, code_verifier: verifier, redirect_uri: redirectUri },
      { authorization: authJsBasic(clientId, clientSecret) },
    );
    expect(basic.status).toBe(400);
    expect(await json(basic)).toEqual({
      error: {
        type: "invalid_request",
        message: "client_id and client_secret are required in the request body",
      },
    });
    const refusals: [Record<string, string>, RegExp][] = [
      [{ client_secret: "wrong((" }, /client_secret/],
      [{ redirect_uri: `${APP}/elsewhere` }, /redirect_uri/],
      [{ code_verifier: o.generateRandomCodeVerifier() }, /code_verifier/],
      [{ code_verifier: "" }, /code_verifier/],
    ];
    for (const [fields, message] of refusals) {
      const answer = await exchange(idp, { code, code_verifier: verifier, ...fields });
      expect(answer.status).toBe(400);
      const body = (await json(answer)) as { error: { message: string } };
      expect(body.error.message).toMatch(message);
    }
    expect((await exchange(idp, { code, code_verifier: verifier })).status).toBe(200);
    const reused = await exchange(idp, { code, code_verifier: verifier });
    expect(await json(reused)).toEqual({
      error: { type: "invalid_request", message: "code has already been used" },
    });
    const reusedForm = await exchange(
      idp,
      { code, code_verifier: verifier },
      idp.endpoints.stackoverflow.formToken,
    );
    expect(reusedForm.status).toBe(400);
    expect(Object.fromEntries(new URLSearchParams(await reusedForm.text()))).toEqual({
      error: "invalid_request",
      error_description: "code has already been used",
    });
  });

  it.each([
    ["a query-string access_token", "valid", { access_token: "x" }, 400, "bad_parameter"],
    ["no token", null, {}, 401, "access_token_required"],
    ["no key", "valid", { key: "" }, 405, "key_required"],
    ["a wrong key", "valid", { key: "other((" }, 400, "bad_parameter"],
    ["no site", "valid", { site: "" }, 400, "bad_parameter"],
    ["an unknown token", "unknown", {}, 402, "invalid_access_token"],
  ] as const)(
    "/me refuses %s with Stack Exchange's error JSON",
    async (_name, token, query, errorId, errorName) => {
      const valid = await accessToken();
      const bearer = token === "valid" ? valid : token === "unknown" ? "nope))" : null;
      const answer = await me(bearer, query);
      expect(answer.status).toBe(400);
      expect(await json(answer)).toEqual({
        error_id: errorId,
        error_name: errorName,
        error_message: expect.any(String) as unknown,
      });
    },
  );

  it("HTML-escapes the display name, as the API does", async () => {
    const fake = await start();
    fake.setIdentity("stackoverflow", { user_id: 7, display_name: "Zoë O'Brien & co" });
    const token = await accessToken(fake);
    const body = (await json(await me(token, {}, fake))) as {
      items: { display_name: string }[];
    };
    expect(body.items[0]?.display_name).toBe("Zo&#235; O&#39;Brien &amp; co");
  });

  describe("failNext", () => {
    it.each([
      [
        "used-code",
        400,
        /^application\/json/,
        { error: { type: "invalid_request", message: "code has already been used" } },
      ],
      [
        "used-code-api-shape",
        400,
        /^application\/json/,
        { error_id: 400, error_message: "code has already been used", error_name: "bad_parameter" },
      ],
      [
        "form-error",
        400,
        /^application\/x-www-form-urlencoded/,
        { error: "invalid_request", error_description: "code has expired" },
      ],
      ["html", 200, /^text\/html/, null],
    ] as const)("%s, on the next token request only", async (kind, status, type, expected) => {
      const { code, verifier } = await stackCode(idp);
      idp.failNext("stackoverflow", kind);
      const failed = await exchange(idp, { code, code_verifier: verifier });
      expect(failed.status).toBe(status);
      expect(failed.headers.get("content-type")).toMatch(type);
      const text = await failed.text();
      if (expected === null) expect(text).toContain("<title>");
      else if (kind === "form-error")
        expect(Object.fromEntries(new URLSearchParams(text))).toEqual(expected);
      else expect(JSON.parse(text)).toEqual(expected);
      expect((await exchange(idp, { code, code_verifier: verifier })).status).toBe(200);
    });

    it("timeout on the token endpoint, and a /me failure that waits for /me", async () => {
      const { code, verifier } = await stackCode(idp);
      idp.failNext("stackoverflow", "me-error");
      idp.failNext("stackoverflow", "timeout");
      await expect(
        fetch(idp.endpoints.stackoverflow.token, {
          method: "POST",
          signal: AbortSignal.timeout(200),
        }),
      ).rejects.toThrow(/aborted|timeout/i);
      // The queued me-error did not fire on the token endpoint.
      const body = (await json(await exchange(idp, { code, code_verifier: verifier }))) as {
        access_token: string;
      };
      const failed = await me(body.access_token);
      expect(failed.status).toBe(400);
      expect(failed.headers.get("content-encoding")).toBe("gzip");
      expect(await json(failed)).toMatchObject({ error_name: "throttle_violation" });
      expect((await me(body.access_token)).status).toBe(200);
    });

    it("me-timeout hangs /me until the client gives up", async () => {
      const token = await accessToken();
      idp.failNext("stackoverflow", "me-timeout");
      await expect(
        fetch(withParams(idp.endpoints.stackoverflow.me, { site: "stackoverflow", key }), {
          headers: { authorization: `Bearer ${token}` },
          signal: AbortSignal.timeout(200),
        }),
      ).rejects.toThrow(/aborted|timeout/i);
      expect((await me(token)).status).toBe(200);
    });
  });
});

// --- Telegram -----------------------------------------------------------------------------

describe("Telegram (OpenID Connect)", () => {
  const { clientId, clientSecret, redirectUri } = clients.telegram;
  const scope = `openid profile ${BOT_ACCESS_SCOPE}`;
  /** The messages box on the consent page, by its accessible label. */
  const messagesBox =
    /<input type="checkbox" id="field-allow_messages" name="allow_messages" value="1" checked[^>]*>\s*<label for="field-allow_messages">Allow Gatehouse Bot to send you messages<\/label>/;

  interface TokenAnswer {
    access_token: string;
    token_type: string;
    expires_in: number;
    id_token: string;
    scope: string;
  }

  function authorizeUrl(fake: FakeIdp, challenge: string, params: Record<string, string> = {}) {
    return withParams(fake.endpoints.telegram.authorization, {
      client_id: clientId,
      redirect_uri: redirectUri,
      response_type: "code",
      scope,
      state: "tg-state",
      code_challenge: challenge,
      code_challenge_method: "S256",
      ...params,
    });
  }

  async function telegramCode(
    fake: FakeIdp,
    params: Record<string, string> = {},
    fields: Record<string, string | null> = {},
  ): Promise<{ code: string; verifier: string; callback: URL }> {
    const { verifier, challenge } = await pkce();
    const page = await openConsent(authorizeUrl(fake, challenge, params));
    const callback = await page.submit("allow", fields);
    return { code: callback.searchParams.get("code") ?? "", verifier, callback };
  }

  /** HTTP Basic, the only client authentication Telegram takes. */
  const exchange = (
    fake: FakeIdp,
    fields: Record<string, string>,
    headers: HeadersInit = {},
    registration: { clientId: string; clientSecret: string } = clients.telegram,
  ) =>
    postForm(
      fake.endpoints.telegram.token,
      { grant_type: "authorization_code", redirect_uri: redirectUri, ...fields },
      { authorization: authJsBasic(registration.clientId, registration.clientSecret), ...headers },
    );

  async function signIn(
    fake: FakeIdp,
    params: Record<string, string> = {},
    fields: Record<string, string | null> = {},
    registration = clients.telegram,
  ): Promise<TokenAnswer> {
    const { code, verifier } = await telegramCode(fake, params, fields);
    const answer = await exchange(fake, { code, code_verifier: verifier }, {}, registration);
    expect(answer.status).toBe(200);
    return (await json(answer)) as TokenAnswer;
  }

  /** The id_token's claims, once its signature checks out against the published JWKS. */
  async function verify(fake: FakeIdp, idToken: string, audience = clientId) {
    return jwtVerify(idToken, createRemoteJWKSet(new URL(fake.endpoints.telegram.jwks)), {
      issuer: fake.endpoints.telegram.issuer,
      audience,
      algorithms: ["RS256"],
    });
  }

  it("publishes Telegram's discovery document: no userinfo, HTTP Basic only, S256 only", async () => {
    const answer = await fetch(idp.endpoints.telegram.discovery);
    expect(answer.status).toBe(200);
    const discovery = (await json(answer)) as Record<string, unknown>;
    expect(discovery).toMatchObject({
      issuer: `${idp.url}/telegram`,
      authorization_endpoint: `${idp.url}/telegram/auth`,
      token_endpoint: `${idp.url}/telegram/token`,
      jwks_uri: `${idp.url}/telegram/.well-known/jwks.json`,
      response_types_supported: ["code"],
      id_token_signing_alg_values_supported: ["RS256"],
      token_endpoint_auth_methods_supported: ["client_secret_basic"],
      code_challenge_methods_supported: ["S256"],
      scopes_supported: ["openid", "profile", "phone", "telegram:bot_access"],
    });
    expect(discovery).not.toHaveProperty("userinfo_endpoint");
    expect(discovery.claims_supported).toEqual(expect.arrayContaining(["id", "sub", "name"]));
    expect(discovery.claims_supported).not.toContain("email");
    expect(idp.endpoints.telegram).toEqual({
      issuer: `${idp.url}/telegram`,
      discovery: `${idp.url}/telegram/.well-known/openid-configuration`,
      authorization: `${idp.url}/telegram/auth`,
      token: `${idp.url}/telegram/token`,
      jwks: `${idp.url}/telegram/.well-known/jwks.json`,
    });

    const jwks = (await json(await fetch(idp.endpoints.telegram.jwks))) as {
      keys: Record<string, unknown>[];
    };
    expect(jwks.keys).toEqual([expect.objectContaining({ kty: "RSA", alg: "RS256", use: "sig" })]);
    expect(jwks.keys[0]).not.toHaveProperty("d");
  });

  it("completes a sign-in by hand: consent with the messages box, PKCE, Basic, a signed id_token", async () => {
    const { verifier, challenge } = await pkce();
    const nonce = o.generateRandomNonce();
    const page = await openConsent(authorizeUrl(idp, challenge, { nonce }));
    expect(page.html).toContain("<title>Fake Telegram — authorize Gatehouse</title>");
    expect(page.html).toContain("@adalovelace");
    expect(page.html).toContain("6183204117");
    expect(page.html).toMatch(messagesBox);
    expect(page.html).toMatch(/<button[^>]*value="allow"[^>]*>Authorize<\/button>/);
    expect(page.html).toMatch(/<button[^>]*value="deny"[^>]*>Cancel<\/button>/);

    const callback = await page.submit("allow");
    expect(callback.origin + callback.pathname).toBe(redirectUri);
    const code = callback.searchParams.get("code") ?? "";
    expect(Object.fromEntries(callback.searchParams)).toEqual({ code, state: "tg-state" });

    const answer = await exchange(idp, { code, code_verifier: verifier });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("cache-control")).toBe("no-store");
    const body = (await json(answer)) as TokenAnswer;
    expect(Object.keys(body).sort()).toEqual([
      "access_token",
      "expires_in",
      "id_token",
      "scope",
      "token_type",
    ]);
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 3600, scope });

    const { payload, protectedHeader } = await verify(idp, body.id_token);
    const jwks = (await json(await fetch(idp.endpoints.telegram.jwks))) as {
      keys: { kid: string }[];
    };
    expect(protectedHeader).toMatchObject({ alg: "RS256", kid: jwks.keys[0]?.kid });
    expect(payload).toEqual({
      iss: `${idp.url}/telegram`,
      aud: clientId,
      sub: telegramSubject(clientId, 6_183_204_117),
      id: 6_183_204_117,
      name: "Ada Lovelace",
      preferred_username: "adalovelace",
      nonce,
      iat: expect.any(Number) as unknown,
      exp: (payload.iat ?? 0) + 3600,
    });
    // Telegram gives no email, and no phone number without the phone scope.
    expect(payload).not.toHaveProperty("email");
    expect(payload).not.toHaveProperty("phone_number");

    const [tokenCall] = idp.callsTo("telegram", "token").slice(-1);
    expect(tokenCall?.headers.authorization).toMatch(/^Basic /);
    expect(tokenCall?.body).not.toHaveProperty("client_secret");
    expect(tokenCall?.body.code_verifier).toBe(verifier);
  });

  it("is accepted by oauth4webapi: discovery, PKCE, nonce, id_token, no userinfo needed", async () => {
    const issuer = new URL(idp.endpoints.telegram.issuer);
    const as = await o.processDiscoveryResponse(issuer, await o.discoveryRequest(issuer, insecure));
    const client: o.Client = { client_id: clientId };
    const { verifier, challenge } = await pkce();
    const state = o.generateRandomState();
    const nonce = o.generateRandomNonce();
    const callback = await authorize(authorizeUrl(idp, challenge, { state, nonce }));
    const response = await o.authorizationCodeGrantRequest(
      as,
      client,
      o.ClientSecretBasic(clientSecret),
      o.validateAuthResponse(as, client, callback, state),
      redirectUri,
      verifier,
      insecure,
    );
    const tokens = await o.processAuthorizationCodeResponse(as, client, response, {
      expectedNonce: nonce,
      requireIdToken: true,
    });
    await o.validateApplicationLevelSignature(as, response, insecure);
    expect(tokens.token_type).toBe("bearer");
    expect(o.getValidatedIdTokenClaims(tokens)).toMatchObject({
      iss: as.issuer,
      aud: clientId,
      id: 6_183_204_117,
      name: "Ada Lovelace",
    });
  });

  it("gives each app its own sub for one person, the same every time; id stays the user id", async () => {
    const other = { ...clients.telegram, clientId: "7400000001", clientSecret: "other-secret" };
    const fake = await start({ clients: { ...clients, telegram: other } });
    const here = await verify(idp, (await signIn(idp)).id_token);
    const again = await verify(idp, (await signIn(idp)).id_token);
    const there = await verify(
      fake,
      (await signIn(fake, { client_id: other.clientId }, {}, other)).id_token,
      other.clientId,
    );
    expect(again.payload.sub).toBe(here.payload.sub);
    expect(there.payload.sub).not.toBe(here.payload.sub);
    expect(there.payload.id).toBe(here.payload.id);
    expect(there.payload.aud).toBe(other.clientId);
  });

  it("leaves telegram:bot_access out of the grant when the messages box is unchecked", async () => {
    const declined = await signIn(idp, {}, { allow_messages: null });
    expect(declined.scope).toBe("openid profile");
    expect((await verify(idp, declined.id_token)).payload.id).toBe(6_183_204_117);

    // Not asked for: no box, and nothing to switch off.
    const { challenge } = await pkce();
    const page = await openConsent(authorizeUrl(idp, challenge, { scope: "openid profile" }));
    expect(page.html).not.toContain("allow_messages");
    expect(page.html).not.toContain("send you messages");
  });

  it("sends phone_number only with the phone scope, and username and picture only when set", async () => {
    const fake = await start();
    fake.setIdentity("telegram", {
      id: 42,
      name: "Grace Hopper",
      picture: "https://t.me/i/userpic/320/grace.jpg",
      phone_number: "+15555550142",
    });
    const withPhone = await signIn(fake, { scope: "openid phone" });
    expect(withPhone.scope).toBe("openid phone");
    const { payload } = await verify(fake, withPhone.id_token);
    expect(payload).toMatchObject({
      id: 42,
      name: "Grace Hopper",
      picture: "https://t.me/i/userpic/320/grace.jpg",
      phone_number: "+15555550142",
    });
    expect(payload).not.toHaveProperty("preferred_username");
    const without = await verify(fake, (await signIn(fake, { scope: "openid" })).id_token);
    expect(without.payload).not.toHaveProperty("phone_number");
  });

  it("authenticates the client with HTTP Basic only: 401 invalid_client otherwise", async () => {
    const { code, verifier } = await telegramCode(idp);
    const inBody = await postForm(idp.endpoints.telegram.token, {
      grant_type: "authorization_code",
      redirect_uri: redirectUri,
      code,
      code_verifier: verifier,
      client_id: clientId,
      client_secret: clientSecret,
    });
    expect(inBody.status).toBe(401);
    expect(await json(inBody)).toMatchObject({ error: "invalid_client" });

    const both = await exchange(idp, {
      code,
      code_verifier: verifier,
      client_id: clientId,
      client_secret: clientSecret,
    });
    expect(both.status).toBe(401);

    const wrongSecret = await exchange(
      idp,
      { code, code_verifier: verifier },
      { authorization: authJsBasic(clientId, "nope") },
    );
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.headers.get("www-authenticate")).toMatch(/^Basic /);
    expect(await json(wrongSecret)).toMatchObject({ error: "invalid_client" });

    const anonymous = await postForm(idp.endpoints.telegram.token, {
      grant_type: "authorization_code",
      redirect_uri: redirectUri,
      code,
      code_verifier: verifier,
      client_id: clientId,
    });
    expect(anonymous.status).toBe(401);

    // None of those spent the code.
    expect((await exchange(idp, { code, code_verifier: verifier })).status).toBe(200);
  });

  it("refuses a missing or wrong verifier, a wrong redirect_uri and a replayed code", async () => {
    const { code, verifier } = await telegramCode(idp);
    const cases: [Record<string, string>, string][] = [
      [{ code }, "invalid_request"],
      [{ code, code_verifier: o.generateRandomCodeVerifier() }, "invalid_grant"],
      [{ code, code_verifier: verifier, redirect_uri: `${APP}/elsewhere` }, "invalid_grant"],
      [{ code: "not-a-code", code_verifier: verifier }, "invalid_grant"],
    ];
    for (const [fields, error] of cases) {
      const answer = await exchange(idp, fields);
      expect(answer.status).toBe(400);
      expect(await json(answer)).toMatchObject({ error });
    }
    expect((await exchange(idp, { code, code_verifier: verifier })).status).toBe(200);
    const replayed = await exchange(idp, { code, code_verifier: verifier });
    expect(replayed.status).toBe(400);
    expect(await json(replayed)).toEqual({
      error: "invalid_grant",
      error_description: "The authorization code was already used.",
    });
  });

  it("expires codes after 60 seconds", async () => {
    let clock = Date.now();
    const fake = await start({ now: () => clock });
    const { code, verifier } = await telegramCode(fake);
    clock += CODE_LIFETIME_MS + 1;
    const late = await exchange(fake, { code, code_verifier: verifier });
    expect(late.status).toBe(400);
    expect(await json(late)).toMatchObject({ error: "invalid_grant" });
  });

  it("redirects with error=access_denied and the state when the person cancels", async () => {
    const { challenge } = await pkce();
    const callback = await authorize(authorizeUrl(idp, challenge, { state: "tg-cancel" }), "deny");
    expect(callback.origin + callback.pathname).toBe(redirectUri);
    expect(Object.fromEntries(callback.searchParams)).toEqual({
      error: "access_denied",
      state: "tg-cancel",
    });
  });

  it.each([
    ["no PKCE", { code_challenge: "", code_challenge_method: "" }, /code_challenge is required/],
    ["plain PKCE", { code_challenge_method: "plain" }, /S256/],
    ["a scope without openid", { scope: "profile" }, /openid/],
    ["the email scope", { scope: "openid email" }, /invalid_scope.*email/],
    ["an unknown client_id", { client_id: "7000000000" }, /invalid_client/],
    ["an unregistered redirect_uri", { redirect_uri: `${APP}/evil` }, /redirect_uri_mismatch/],
    ["response_type=token", { response_type: "token" }, /unsupported_response_type/],
    ["no state", { state: "" }, /state is missing/],
  ])("answers %s with an error page, not a redirect", async (_name, override, message) => {
    const { challenge } = await pkce();
    const url = new URL(authorizeUrl(idp, challenge, override));
    // An empty override stands for a parameter left out.
    for (const [name, value] of [...url.searchParams]) if (!value) url.searchParams.delete(name);
    const response = await fetch(url, { redirect: "manual" });
    expect(response.status).toBe(400);
    expect(response.headers.get("location")).toBeNull();
    expect(await response.text()).toMatch(message);
  });

  describe("as npm run dev's stand-in", () => {
    async function standInPage(fake: FakeIdp, params: Record<string, string> = {}) {
      const { verifier, challenge } = await pkce();
      const response = await fetch(authorizeUrl(fake, challenge, params));
      const html = await response.text();
      expect(response.status, html).toBe(200);
      const consent = /name="consent" value="([^"]+)"/.exec(html)?.[1] ?? "";
      const post = async (fields: Record<string, string>) =>
        fetch(`${fake.url}/telegram/consent`, {
          method: "POST",
          body: new URLSearchParams({ consent, decision: "allow", ...fields }),
          redirect: "manual",
        });
      /** Posts the fields and exchanges the code: the token answer's scope and claims. */
      const signInWith = async (fields: Record<string, string>) => {
        const answer = await post(fields);
        expect(answer.status).toBe(302);
        const code = new URL(answer.headers.get("location") ?? "").searchParams.get("code");
        const body = (await json(
          await exchange(fake, { code: code ?? "", code_verifier: verifier }),
        )) as TokenAnswer;
        return { scope: body.scope, claims: (await verify(fake, body.id_token)).payload };
      };
      /** Presses a preset's button: its form's hidden fields, as a browser sends them. */
      const pressPreset = (index: number) => {
        const form = html
          .split("</form>")
          .find((chunk) => chunk.includes(`name="preset" value="${index}"`));
        if (!form) throw new Error(`no preset ${index} in:\n${html}`);
        const hidden = [...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)];
        const fields: Record<string, string> = {};
        for (const [, name = "", value = ""] of hidden) fields[name] = value;
        return signInWith(fields);
      };
      return { html, post, signInWith, pressPreset };
    }

    it("offers presets and a form with Telegram's fields and the messages box", async () => {
      const fake = await start({ standIn: true });
      const page = await standInPage(fake);
      expect(page.html).toContain("<title>Development stand-in for Telegram</title>");
      for (const label of [
        "Telegram user id",
        "Name",
        "Username (may be empty)",
        "Phone number (may be empty)",
        "Allow Gatehouse Bot to send you messages",
      ]) {
        expect(page.html).toContain(`">${label}</label>`);
      }
      expect(page.html).toMatch(/<input type="checkbox" id="field-allow_messages"[^>]* checked/);
      expect(page.html).toContain(
        "Grace Hopper — no username, id 481516234, switches messages off",
      );

      // The first preset allows messages, the second switches them off.
      const ada = await page.pressPreset(0);
      expect(ada.scope).toBe(scope);
      expect(ada.claims).toMatchObject({ id: 6_183_204_117, preferred_username: "adalovelace" });
      const grace = await (await standInPage(fake)).pressPreset(1);
      expect(grace.scope).toBe("openid profile");
      expect(grace.claims).toMatchObject({ id: 481_516_234, name: "Grace Hopper" });
      expect(grace.claims).not.toHaveProperty("preferred_username");
    });

    it("signs in as whoever is typed, with or without messages", async () => {
      const fake = await start({ standIn: true });
      const typed = { id: "123456789", name: "Zoë O'Brien", username: "@zoe_dev", phone: "" };
      const allowed = await (await standInPage(fake)).signInWith({ ...typed, allow_messages: "1" });
      expect(allowed.scope).toBe(scope);
      expect(allowed.claims).toMatchObject({
        id: 123_456_789,
        name: "Zoë O'Brien",
        preferred_username: "zoe_dev",
        sub: telegramSubject(clientId, 123_456_789),
      });
      expect(allowed.claims).not.toHaveProperty("phone_number");
      const declined = await (await standInPage(fake)).signInWith(typed);
      expect(declined.scope).toBe("openid profile");
      expect(declined.claims.sub).toBe(allowed.claims.sub);

      const withPhone = await (
        await standInPage(fake, { scope: "openid phone" })
      ).signInWith({ ...typed, phone: "+1 (555) 555-0199" });
      expect(withPhone.claims.phone_number).toBe("+15555550199");
    });

    it.each([
      [{ id: "", name: "Zoë" }, /Telegram user id/],
      [{ id: "12e3", name: "Zoë" }, /Telegram user id/],
      [{ id: "99999999999999999", name: "Zoë" }, /Telegram user id/],
      [{ id: "123", name: " " }, /Type a name/],
      [{ id: "123", name: "Zoë", username: "zo" }, /username/],
      [{ id: "123", name: "Zoë", phone: "call me" }, /phone number/],
    ])("refuses %j with the page and what is wrong", async (fields, problem) => {
      const fake = await start({ standIn: true });
      const answer = await (await standInPage(fake)).post(fields);
      expect(answer.status).toBe(400);
      expect(await answer.text()).toMatch(new RegExp(`role="alert">[^<]*${problem.source}`));
    });
  });

  describe("failNext", () => {
    it('token-error: a 400 {"error":"invalid_grant"} once, then normal answers', async () => {
      const { code, verifier } = await telegramCode(idp);
      idp.failNext("telegram", "token-error");
      const failed = await exchange(idp, { code, code_verifier: verifier });
      expect(failed.status).toBe(400);
      expect(await failed.text()).toBe('{"error":"invalid_grant"}');
      expect((await exchange(idp, { code, code_verifier: verifier })).status).toBe(200);
    });

    it("html: a 200 HTML page where JSON belongs", async () => {
      const { code, verifier } = await telegramCode(idp);
      idp.failNext("telegram", "html");
      const failed = await exchange(idp, { code, code_verifier: verifier });
      expect(failed.status).toBe(200);
      expect(failed.headers.get("content-type")).toMatch(/^text\/html/);
      expect(await failed.text()).toContain("<title>");
      expect((await exchange(idp, { code, code_verifier: verifier })).status).toBe(200);
    });

    it("timeout: never answers until the client gives up; answerAfterMs answers late", async () => {
      const { code, verifier } = await telegramCode(idp);
      idp.failNext("telegram", "timeout");
      await expect(
        fetch(idp.endpoints.telegram.token, {
          method: "POST",
          body: new URLSearchParams({ code }),
          signal: AbortSignal.timeout(200),
        }),
      ).rejects.toThrow(/aborted|timeout/i);
      idp.failNext("telegram", { kind: "timeout", answerAfterMs: 300 });
      const startedAt = performance.now();
      const late = await exchange(idp, { code, code_verifier: verifier });
      expect(performance.now() - startedAt).toBeGreaterThanOrEqual(250);
      expect(late.status).toBe(200);
    });
  });
});

// --- the fake's own lifecycle -------------------------------------------------------------

describe("close()", () => {
  it("drops hung and delayed requests instead of waiting for them", async () => {
    const fake = await startFakeIdp({ clients });
    fake.failNext("github", "timeout");
    fake.failNext("google", { kind: "timeout", answerAfterMs: 60_000 });
    // Settled into a value at once, so the expected rejection is never an unhandled one.
    const outcome = (request: Promise<Response>) =>
      request.then(
        () => "answered",
        () => "dropped",
      );
    const hung = outcome(fetch(fake.endpoints.github.token, { method: "POST" }));
    const delayed = outcome(fetch(fake.endpoints.google.token, { method: "POST" }));
    // Both requests have arrived once they are recorded.
    await expect.poll(() => fake.callsTo("google", "token").length).toBe(1);
    await expect.poll(() => fake.callsTo("github", "token").length).toBe(1);
    const startedAt = performance.now();
    await fake.close();
    expect(performance.now() - startedAt).toBeLessThan(1_000);
    expect(await hung).toBe("dropped");
    expect(await delayed).toBe("dropped");
  });

  it("records every call with its provider, endpoint, query, headers and body", async () => {
    const fake = await start();
    await fetch(withParams(fake.endpoints.google.token, { probe: "1" }), {
      method: "POST",
      body: new URLSearchParams({ code: "c" }),
      headers: { "x-probe": "yes" },
    });
    expect(fake.calls).toEqual([
      expect.objectContaining({
        provider: "google",
        endpoint: "token",
        method: "POST",
        path: "/google/token",
        query: { probe: "1" },
        body: { code: "c" },
        headers: expect.objectContaining({ "x-probe": "yes" }) as unknown,
      }),
    ]);
  });
});
