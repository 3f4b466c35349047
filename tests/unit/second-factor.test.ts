// The second factor's pure parts (lib/auth/second-factor): the TOTP arithmetic against
// RFC 6238's own test vectors, how typed codes are read, the recovery-code format, the
// keyed hash, and the QR code's SVG (nothing in it a strict CSP would have to allow).
import { Secret } from "otpauth";
import { describe, expect, it } from "vitest";

import { createSecondFactorKeys } from "@/lib/auth/second-factor/keys";
import { qrCodeSvg } from "@/lib/auth/second-factor/qr-svg";
import {
  newRecoveryCode,
  normalizeRecoveryCode,
  RECOVERY_CODE_COUNT,
} from "@/lib/auth/second-factor/recovery-codes";
import {
  matchingTotpStep,
  newTotpSecret,
  normalizeTotpCode,
  totpStep,
  totpUri,
} from "@/lib/auth/second-factor/totp";

// RFC 6238, appendix B: the SHA-1 key is the ASCII "12345678901234567890"; the codes are its
// 8-digit ones cut to the last 6 digits (truncation keeps the low digits).
const RFC_SECRET_BASE32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const rfcVectors: [seconds: number, code: string][] = [
  [59, "287082"],
  [1_111_111_109, "081804"],
  [1_111_111_111, "050471"],
  [1_234_567_890, "005924"],
  [2_000_000_000, "279037"],
];
const second = (s: number) => new Date(s * 1_000);

describe("TOTP", () => {
  it("uses the RFC's key, in base32 (the vectors below are about this key)", () => {
    expect(Secret.fromLatin1("12345678901234567890").base32).toBe(RFC_SECRET_BASE32);
  });

  it.each(rfcVectors)("at %i s the code is %s (RFC 6238, SHA-1)", (seconds, code) => {
    expect(matchingTotpStep(RFC_SECRET_BASE32, code, second(seconds))).toBe(
      Math.floor(seconds / 30),
    );
  });

  it("accepts a code one step either side of now, and says which step; two steps is too far", () => {
    const [seconds, code] = [1_111_111_109, "081804"] as const;
    const step = Math.floor(seconds / 30);
    expect(matchingTotpStep(RFC_SECRET_BASE32, code, second(seconds + 30))).toBe(step);
    expect(matchingTotpStep(RFC_SECRET_BASE32, code, second(seconds - 30))).toBe(step);
    expect(matchingTotpStep(RFC_SECRET_BASE32, code, second(seconds + 60))).toBeNull();
    expect(matchingTotpStep(RFC_SECRET_BASE32, code, second(seconds - 60))).toBeNull();
    expect(matchingTotpStep(RFC_SECRET_BASE32, "081805", second(seconds))).toBeNull();
  });

  it("numbers steps from the Unix epoch in 30-second periods", () => {
    expect(totpStep(second(0))).toBe(0);
    expect(totpStep(second(29.999))).toBe(0);
    expect(totpStep(second(30))).toBe(1);
    expect(totpStep(new Date("2026-06-01T10:00:00.000Z"))).toBe(1_780_308_000 / 30);
  });

  it("makes random 160-bit keys in base32", () => {
    const keys = new Set(Array.from({ length: 50 }, newTotpSecret));
    expect(keys.size).toBe(50);
    for (const key of keys) expect(key).toMatch(/^[A-Z2-7]{32}$/);
  });

  it("writes the otpauth:// URI apps read, with issuer and label escaped", () => {
    expect(
      totpUri({ secret: RFC_SECRET_BASE32, issuer: "Gatehouse", accountLabel: "ada@example.com" }),
    ).toBe(
      `otpauth://totp/Gatehouse:ada%40example.com?issuer=Gatehouse&secret=${RFC_SECRET_BASE32}&algorithm=SHA1&digits=6&period=30`,
    );
    expect(
      totpUri({ secret: RFC_SECRET_BASE32, issuer: "Acme: Test", accountLabel: "a b&c=d?" }),
    ).toMatch(/^otpauth:\/\/totp\/Acme%3A%20Test:a%20b%26c%3Dd%3F\?issuer=Acme%3A%20Test&secret=/);
  });

  it.each([
    ["123456", "123456"],
    ["123 456", "123456"],
    [" 123456\n", "123456"],
    ["000000", "000000"],
    ["12345", null],
    ["1234567", null],
    ["12345a", null],
    ["١٢٣٤٥٦", null], // Arabic-Indic digits: not ASCII
    ["１２３４５６", null], // full-width digits
    ["", null],
    [`${"1".repeat(6)}${" ".repeat(100)}`, null],
  ])("reads the typed code %j as %j", (typed, expected) => {
    expect(normalizeTotpCode(typed)).toBe(expected);
  });

  it("reads anything but a string as no code", () => {
    for (const input of [123456, null, undefined, ["123456"], { code: "123456" }]) {
      expect(normalizeTotpCode(input)).toBeNull();
    }
  });
});

describe("recovery codes", () => {
  it("come as xxxxx-xxxxx in Crockford's base32: no i, l, o or u, all different", () => {
    const codes = Array.from({ length: 2_000 }, newRecoveryCode);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/);
    // Every one of the 32 symbols turns up (the `& 31` pick is not stuck on part of them).
    const symbols = new Set(codes.join("").replace(/-/g, ""));
    expect(symbols.size).toBe(32);
    expect(RECOVERY_CODE_COUNT).toBe(10);
  });

  it.each([
    ["7k2mq-x9d4r", "7k2mqx9d4r"],
    ["7K2MQ-X9D4R", "7k2mqx9d4r"],
    [" 7k2mq x9d4r ", "7k2mqx9d4r"],
    ["7k2mqx9d4r", "7k2mqx9d4r"],
    ["7k2-mq-x9d-4r", "7k2mqx9d4r"],
    ["7k2mq–x9d4r", "7k2mqx9d4r"], // en dash, as phones type it
    ["7k2mq—x9d4r", "7k2mqx9d4r"], // em dash
    // Crockford's look-alikes: o is 0, i and l are 1.
    ["okimq-x9dlr", "0k1mqx9d1r"],
    ["10abc-defgh", "10abcdefgh"],
    ["oIL00-abcde", "01100abcde"],
  ])("reads %j as %j", (typed, expected) => {
    expect(normalizeRecoveryCode(typed)).toBe(expected);
  });

  it.each([
    "7k2mq-x9d4", // nine characters
    "7k2mq-x9d4rr", // eleven
    "7k2mq-x9d4u", // u is not in the alphabet
    "7k2mq_x9d4r", // underscore is not a separator
    "7k2mq.x9d4r",
    "",
    "----------",
    `7k2mq-x9d4r${" ".repeat(60)}`,
  ])("refuses %j", (typed) => {
    expect(normalizeRecoveryCode(typed)).toBeNull();
  });

  it("refuses anything but a string", () => {
    for (const input of [null, undefined, 1234567890, ["7k2mq-x9d4r"]]) {
      expect(normalizeRecoveryCode(input)).toBeNull();
    }
  });
});

describe("keys", () => {
  const keys = createSecondFactorKeys("k".repeat(43));

  it("hash a recovery code to 64 hex characters, the same each time, bound to the user and the secret", () => {
    const hash = keys.recoveryCodeHash("user-1", "7k2mqx9d4r");
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(keys.recoveryCodeHash("user-1", "7k2mqx9d4r")).toBe(hash);
    expect(createSecondFactorKeys("k".repeat(43)).recoveryCodeHash("user-1", "7k2mqx9d4r")).toBe(
      hash,
    );
    expect(keys.recoveryCodeHash("user-2", "7k2mqx9d4r")).not.toBe(hash);
    expect(keys.recoveryCodeHash("user-1", "7k2mqx9d4s")).not.toBe(hash);
    expect(
      createSecondFactorKeys("j".repeat(43)).recoveryCodeHash("user-1", "7k2mqx9d4r"),
    ).not.toBe(hash);
  });

  it("seal a TOTP key for its user only", () => {
    const sealed = keys.totpSecret.seal(RFC_SECRET_BASE32, "user-1");
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain(RFC_SECRET_BASE32);
    expect(keys.totpSecret.open(sealed, "user-1")).toBe(RFC_SECRET_BASE32);
    expect(keys.totpSecret.open(sealed, "user-2")).toBeNull();
  });
});

describe("the QR code", () => {
  const uri = totpUri({
    secret: RFC_SECRET_BASE32,
    issuer: "Gatehouse",
    accountLabel: "ada@example.com",
  });
  const svg = qrCodeSvg(uri);

  it("is one <svg> of a background rect and one path, and nothing else", () => {
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 \d+ \d+">/);
    expect(svg.endsWith("</svg>")).toBe(true);
    const elements = [...svg.matchAll(/<([a-zA-Z][\w:-]*)/g)].map((match) => match[1]);
    expect(elements).toEqual(["svg", "rect", "path"]);
  });

  it("holds nothing a strict Content-Security-Policy would block or a page would run", () => {
    for (const forbidden of [
      /<script/i,
      /<style/i,
      /style=/i,
      /<foreignObject/i,
      /<image/i,
      /<use/i,
      /href/i,
      /url\(/i,
      /\son\w+=/i,
      /javascript:/i,
      /data:/i,
    ]) {
      expect(svg).not.toMatch(forbidden);
    }
    // The only URL in it is the SVG namespace, which is a name, not a request.
    expect([...svg.matchAll(/https?:\/\/[^"\s]+/g)].map((m) => m[0])).toEqual([
      "http://www.w3.org/2000/svg",
    ]);
  });

  it("keeps the URI and its key out of the markup, and draws each URI its own way", () => {
    expect(svg).not.toContain(RFC_SECRET_BASE32);
    expect(svg).not.toContain("otpauth");
    expect(svg).not.toContain("Gatehouse");
    expect(qrCodeSvg(uri)).toBe(svg);
    expect(qrCodeSvg(uri.replace("Gatehouse", "Gatehousf"))).not.toBe(svg);
  });
});
