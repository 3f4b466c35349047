// The pure parts of passkeys (lib/auth/passkeys): the relying party from APP_URL, names,
// transports, the counter rule, user handles and the response shapes checked before the
// library sees them. The ceremonies themselves run against databases in
// tests/integration/passkeys.test.ts.
import { describe, expect, it } from "vitest";

import {
  counterRegressed,
  defaultPasskeyName,
  normalizePasskeyName,
  PASSKEY_NAME_MAX_LENGTH,
  relyingParty,
  relyingPartyProblem,
} from "@/lib/auth/passkeys";
import { challengeIdHash } from "@/lib/auth/passkeys/challenges";
import {
  authenticationResponseSchema,
  knownTransports,
  registrationResponseSchema,
} from "@/lib/auth/passkeys/schemas";
import { newUserHandle, userHandleMatches } from "@/lib/auth/passkeys/shared";

describe("relyingParty", () => {
  it.each([
    ["https://gatehouse.example", "gatehouse.example", "https://gatehouse.example"],
    // The RP ID never has a port; the origin keeps one that is not the scheme's default.
    ["https://gatehouse.example:8443", "gatehouse.example", "https://gatehouse.example:8443"],
    ["https://gatehouse.example:443", "gatehouse.example", "https://gatehouse.example"],
    // A path (an app under a prefix) is in neither.
    ["https://example.com/gatehouse/", "example.com", "https://example.com"],
    ["https://auth.example.com", "auth.example.com", "https://auth.example.com"],
    ["https://GateHouse.Example", "gatehouse.example", "https://gatehouse.example"],
    // Development: http is a secure context on localhost only.
    ["http://localhost:3000", "localhost", "http://localhost:3000"],
    ["http://app.localhost:3000", "app.localhost", "http://app.localhost:3000"],
  ])("%s → RP ID %s, origin %s", (appUrl, rpID, origin) => {
    expect(relyingParty(appUrl, "Gatehouse")).toEqual({ rpID, rpName: "Gatehouse", origin });
    expect(relyingPartyProblem(appUrl)).toBeNull();
  });

  it.each([
    ["http://gatehouse.example", /https/],
    ["ftp://gatehouse.example", /https/],
    ["http://192.168.1.20:3000", /IP address/],
    ["https://203.0.113.9", /IP address/],
    ["http://[::1]:3000", /IP address/],
    ["not a url", /not a URL/],
  ])("refuses %s, where browsers would refuse passkeys", (appUrl, problem) => {
    expect(relyingPartyProblem(appUrl)).toMatch(problem);
    expect(() => relyingParty(appUrl, "Gatehouse")).toThrow(problem);
  });

  it("needs a name to show", () => {
    expect(() => relyingParty("https://gatehouse.example", "  ")).toThrow(/name/);
  });
});

describe("passkey names", () => {
  it.each([
    ["Work laptop", "Work laptop"],
    ["  YubiKey\t 5C  ", "YubiKey 5C"],
    ["two\nlines", "two lines"],
    // NFC: "é" typed as e + combining accent is stored as one character.
    ["Cafe\u0301", "Café"],
    ["👩‍💻 laptop", "👩‍💻 laptop"],
    ["ÿ".repeat(PASSKEY_NAME_MAX_LENGTH), "ÿ".repeat(PASSKEY_NAME_MAX_LENGTH)],
    // Counted in characters, not UTF-16 units: 64 emoji are 128 units.
    ["🔑".repeat(PASSKEY_NAME_MAX_LENGTH), "🔑".repeat(PASSKEY_NAME_MAX_LENGTH)],
  ])("%j is kept as %j", (input, name) => {
    expect(normalizePasskeyName(input)).toEqual({ ok: true, name });
  });

  it.each([
    ["empty", ""],
    ["blank", " \t "],
    ["too long", "x".repeat(PASSKEY_NAME_MAX_LENGTH + 1)],
    ["a control character", "bell\u0007"],
    ["a right-to-left override", "\u202Eyek"],
    ["a bidirectional isolate", "a\u2066b"],
    ["not a string", 42],
    ["null", null],
    ["a megabyte", "x".repeat(1_000_000)],
  ])("refuses %s", (_label, input) => {
    expect(normalizePasskeyName(input)).toEqual({ ok: false });
  });

  it("defaults to the browser and the date (UTC), or Passkey and the date", () => {
    const now = new Date("2026-12-02T23:30:00.000Z");
    const chrome =
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36";
    expect(defaultPasskeyName(now, chrome)).toBe("Chrome on macOS, 2 Dec 2026");
    expect(defaultPasskeyName(now, "Mozilla/5.0 (X11; Linux x86_64)")).toBe(
      "A browser on Linux, 2 Dec 2026",
    );
    expect(defaultPasskeyName(now, null)).toBe("Passkey, 2 Dec 2026");
    expect(defaultPasskeyName(now, "Anything I like/1.0")).toBe("Passkey, 2 Dec 2026");
    // Whatever the user agent, the default is a name the database accepts.
    expect(normalizePasskeyName(defaultPasskeyName(now, chrome))).toEqual({
      ok: true,
      name: "Chrome on macOS, 2 Dec 2026",
    });
  });
});

describe("transports", () => {
  it("keeps the known ones, once each, sorted", () => {
    expect(knownTransports(["usb", "internal", "usb", "cable", "hybrid", "x".repeat(20)])).toEqual([
      "hybrid",
      "internal",
      "usb",
    ]);
    expect(knownTransports(undefined)).toEqual([]);
  });
});

describe("the signature counter", () => {
  it.each([
    // Authenticators that do not count send 0, every time.
    [0, 0, false],
    [1, 0, false],
    [7, 6, false],
    [4_294_967_295, 6, false],
    // Once counting, the counter must move forward.
    [6, 6, true],
    [5, 6, true],
    [0, 6, true],
  ])("received %i after %i: regressed %s", (received, stored, regressed) => {
    expect(counterRegressed(received, stored)).toBe(regressed);
  });
});

describe("user handles", () => {
  it("are 32 random bytes in base64url, and match only themselves", () => {
    const handle = newUserHandle();
    expect(handle).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(handle, "base64url")).toHaveLength(32);
    expect(newUserHandle()).not.toBe(handle);
    expect(userHandleMatches(handle, handle)).toBe(true);
    expect(userHandleMatches(undefined, handle)).toBe(false);
    expect(userHandleMatches(newUserHandle(), handle)).toBe(false);
    // A prefix is not the handle (and differing lengths do not throw).
    expect(userHandleMatches(handle.slice(0, 22), handle)).toBe(false);
  });
});

describe("challenge ids", () => {
  it("are stored as their SHA-256", () => {
    expect(challengeIdHash("abc")).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });
});

describe("the response shapes", () => {
  const registration = {
    id: "Y3JlZA",
    rawId: "Y3JlZA",
    type: "public-key",
    response: { clientDataJSON: "e30", attestationObject: "oA", transports: ["usb"] },
    clientExtensionResults: { credProps: { rk: true }, prf: { enabled: true } },
    extra: "dropped",
  };
  const assertion = {
    id: "Y3JlZA",
    rawId: "Y3JlZA",
    type: "public-key",
    response: { clientDataJSON: "e30", authenticatorData: "AA", signature: "AA", userHandle: "dQ" },
    clientExtensionResults: {},
  };

  it("accept what a browser sends, dropping unknown fields", () => {
    expect(registrationResponseSchema.parse(registration)).toEqual({
      id: "Y3JlZA",
      rawId: "Y3JlZA",
      type: "public-key",
      response: { clientDataJSON: "e30", attestationObject: "oA", transports: ["usb"] },
      clientExtensionResults: { credProps: { rk: true } },
    });
    expect(authenticationResponseSchema.parse(assertion)).toEqual(assertion);
    const { userHandle: _, ...withoutHandle } = assertion.response;
    expect(
      authenticationResponseSchema.safeParse({ ...assertion, response: withoutHandle }).success,
    ).toBe(true);
  });

  it.each([
    ["a credential id that is not base64url", { id: "Y3J+ZA==" }],
    ["an id of more than 1023 bytes", { id: "A".repeat(1365), rawId: "A".repeat(1365) }],
    ["another type", { type: "password" }],
    ["no response", { response: undefined }],
    [
      "a huge attestation",
      { response: { clientDataJSON: "e30", attestationObject: "A".repeat(40_000) } },
    ],
    ["a number for client data", { response: { clientDataJSON: 1, attestationObject: "oA" } }],
  ])("refuse a registration with %s", (_label, change) => {
    expect(registrationResponseSchema.safeParse({ ...registration, ...change }).success).toBe(
      false,
    );
  });

  it.each([
    ["no signature", { clientDataJSON: "e30", authenticatorData: "AA" }],
    ["a user handle of more than 64 bytes", { ...assertion.response, userHandle: "A".repeat(87) }],
    ["a padded signature", { ...assertion.response, signature: "AA==" }],
  ])("refuse an assertion with %s", (_label, response) => {
    expect(authenticationResponseSchema.safeParse({ ...assertion, response }).success).toBe(false);
  });
});
