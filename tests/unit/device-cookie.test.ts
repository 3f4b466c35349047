// Device cookies (lib/security/device-cookie.ts): what a cookie looks like, and that only a
// cookie this server issued for this account, under this secret, within its age verifies.
import { createHmac, hkdfSync } from "node:crypto";
import { describe, expect, it } from "vitest";

import { createDeviceCookies, DEVICE_COOKIE_MAX_VALUE_LENGTH } from "@/lib/security/device-cookie";

const SECRET = "s".repeat(44);
const NOW = 1_800_000_000_000;
const MAX_AGE = 30 * 86_400;

function cookies({
  secret = SECRET,
  secure = false,
  now = NOW,
}: { secret?: string; secure?: boolean; now?: number } = {}) {
  return createDeviceCookies({ secret, maxAgeSeconds: MAX_AGE, secure, now: () => now });
}

/** `value` with the character at `index` replaced by another allowed one. */
function flip(value: string, index: number): string {
  const replacement = value[index] === "A" ? "B" : "A";
  return value.slice(0, index) + replacement + value.slice(index + 1);
}

describe("device cookie", () => {
  it("verifies what it issued, and gives back the device's nonce", () => {
    const jar = cookies();
    const cookie = jar.issue("ada@example.com");
    const nonce = jar.verify("ada@example.com", cookie.value);
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(cookie.value.startsWith(`1.${nonce}.`)).toBe(true);
    // Every spelling of the email is the same account.
    expect(jar.verify("  Ada@Example.COM ", cookie.value)).toBe(nonce);
  });

  it("says when it was issued (whole seconds), and inspects nothing it would not verify", () => {
    const at = NOW + 1_234;
    const issued = cookies({ now: at }).issue("user-id:u1");
    const later = cookies({ now: at + 86_400_000 });
    expect(later.inspect("user-id:u1", issued.value)).toEqual({
      nonce: later.verify("user-id:u1", issued.value),
      issuedAtMs: NOW + 1_000,
    });
    expect(later.inspect("user-id:u2", issued.value)).toBeNull();
    expect(later.inspect("user-id:u1", flip(issued.value, issued.value.length - 2))).toBeNull();
    expect(cookies({ now: at + MAX_AGE * 1_000 }).inspect("user-id:u1", issued.value)).toBeNull();
  });

  it("is HttpOnly, SameSite=Lax, Path=/, with the maximum age; Secure and __Host- on https", () => {
    const plain = cookies().issue("ada@example.com");
    expect(plain.name).toMatch(/^gatehouse-device-[A-Za-z0-9_-]{22}$/);
    expect(plain.options).toEqual({
      httpOnly: true,
      secure: false,
      sameSite: "lax",
      path: "/",
      maxAge: MAX_AGE,
    });
    const secure = cookies({ secure: true }).issue("ada@example.com");
    expect(secure.name).toBe(`__Host-${plain.name}`);
    expect(secure.options.secure).toBe(true);
  });

  it("has one name per account, the same for every spelling, which does not show the email", () => {
    const jar = cookies();
    const name = jar.nameFor("ada@example.com");
    expect(jar.nameFor(" ADA@example.com")).toBe(name);
    expect(jar.issue("ada@example.com").name).toBe(name);
    expect(jar.nameFor("bob@example.com")).not.toBe(name);
    // Keyed: another deployment (secret) names the same account differently, and a plain
    // hash of a guessed email does not find it.
    expect(cookies({ secret: "t".repeat(44) }).nameFor("ada@example.com")).not.toBe(name);
    const cookie = jar.issue("ada@example.com");
    for (const text of [cookie.name, cookie.value]) {
      expect(text.toLowerCase()).not.toContain("ada");
      expect(text.toLowerCase()).not.toContain("example");
    }
  });

  it("keeps a nonce it is given, makes a new one otherwise, and refuses a malformed one", () => {
    const jar = cookies();
    const first = jar.verify("ada@example.com", jar.issue("ada@example.com").value);
    if (first === null) throw new Error("expected a valid cookie");
    expect(jar.verify("ada@example.com", jar.issue("ada@example.com", first).value)).toBe(first);
    expect(jar.verify("ada@example.com", jar.issue("ada@example.com").value)).not.toBe(first);
    expect(() => jar.issue("ada@example.com", "short")).toThrow(TypeError);
  });

  it("signs with a key derived from the secret by HKDF (its own info string), never the secret", () => {
    const cookie = cookies().issue("ada@example.com");
    const [, nonce, issuedAt, signature] = cookie.value.split(".");
    const message = JSON.stringify(["1", "ada@example.com", nonce, issuedAt]);
    const key = Buffer.from(
      hkdfSync("sha256", SECRET, "", "gatehouse device cookie v1: signature", 32),
    );
    expect(createHmac("sha256", key).update(message).digest("base64url")).toBe(signature);
    expect(createHmac("sha256", SECRET).update(message).digest("base64url")).not.toBe(signature);
  });

  it("refuses a tampered cookie: any changed character of nonce, time or signature", () => {
    const jar = cookies();
    const { value } = jar.issue("ada@example.com");
    expect(jar.verify("ada@example.com", value)).not.toBeNull();
    for (let index = 0; index < value.length; index += 1) {
      if (value[index] === ".") continue;
      expect(jar.verify("ada@example.com", flip(value, index)), `character ${index}`).toBeNull();
    }
    // A later issue time, with the old signature.
    const [version, nonce, issuedAt, signature] = value.split(".");
    const later = [version, nonce, String(Number(issuedAt) + 1), signature].join(".");
    expect(jar.verify("ada@example.com", later)).toBeNull();
  });

  it("is worthless for another account, even under that account's name", () => {
    const jar = cookies();
    const { value } = jar.issue("ada@example.com");
    expect(jar.verify("bob@example.com", value)).toBeNull();
    expect(jar.verify("ada@example.org", value)).toBeNull();
  });

  it("is worthless under another secret", () => {
    const { value } = cookies().issue("ada@example.com");
    expect(cookies({ secret: "t".repeat(44) }).verify("ada@example.com", value)).toBeNull();
  });

  it("expires after the maximum age, whatever the browser keeps; tolerates a little clock skew", () => {
    const { value } = cookies().issue("ada@example.com");
    const at = (ms: number) => cookies({ now: ms }).verify("ada@example.com", value);
    expect(at(NOW + (MAX_AGE - 1) * 1_000)).not.toBeNull();
    expect(at(NOW + MAX_AGE * 1_000)).toBeNull();
    // Issued by an instance whose clock is a little ahead: fine; far ahead: refused.
    expect(at(NOW - 60_000)).not.toBeNull();
    expect(at(NOW - 61_000)).toBeNull();
  });

  it("refuses anything malformed", () => {
    const jar = cookies();
    const { value } = jar.issue("ada@example.com");
    const [version, nonce, issuedAt, signature] = value.split(".");
    for (const bad of [
      undefined,
      null,
      "",
      "garbage",
      `${nonce}.${issuedAt}.${signature}`,
      `2.${nonce}.${issuedAt}.${signature}`,
      `${value}.extra`,
      `${version}.${nonce}.${issuedAt}.${signature}=`,
      `${version}.${nonce}=.${issuedAt}.${signature}`,
      `${version}.${nonce}.-${issuedAt}.${signature}`,
      `${version}.${nonce}.${issuedAt}.${signature?.slice(1)}`,
      ` ${value}`,
      `${version}.${nonce?.replace(/./, "+")}.${issuedAt}.${signature}`,
      decodeURIComponent(encodeURIComponent(value).replace(/\./g, "%2E")) + "\n",
    ]) {
      expect(jar.verify("ada@example.com", bad), String(bad)).toBeNull();
    }
  });

  it("refuses an oversized value before looking at it", () => {
    const jar = cookies();
    const { value } = jar.issue("ada@example.com");
    expect(value.length).toBeLessThanOrEqual(DEVICE_COOKIE_MAX_VALUE_LENGTH);
    expect(
      jar.verify("ada@example.com", value + "A".repeat(DEVICE_COOKIE_MAX_VALUE_LENGTH)),
    ).toBeNull();
    expect(jar.verify("ada@example.com", "1.".repeat(1_000_000))).toBeNull();
  });
});
