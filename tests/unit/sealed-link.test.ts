// The outbox's link sealing (lib/security/sealed-link.ts): AES-256-GCM under a key derived
// from AUTH_SECRET, bound to the row's user. What is sealed opens only unaltered, for the
// same user and under the same secret.
import { describe, expect, it } from "vitest";

import { createLinkSealer } from "@/lib/security/sealed-link";

const SECRET = "a".repeat(44);
const LINK = "https://gatehouse.example.com/reset-password?token=Zm9vYmFyYmF6cXV4";

describe("sealed links", () => {
  const sealer = createLinkSealer(SECRET);

  it("opens what it sealed, and the sealed text does not show the link", () => {
    const sealed = sealer.seal(LINK, "user-1");
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain("token");
    expect(sealed).not.toContain("Zm9vYmFy");
    expect(sealer.open(sealed, "user-1")).toBe(LINK);
    // A fresh IV each time: the same link never seals to the same text.
    expect(sealer.seal(LINK, "user-1")).not.toBe(sealed);
  });

  it("refuses a tampered sealed text", () => {
    const sealed = sealer.seal(LINK, "user-1");
    const body = Buffer.from(sealed.slice(3), "base64url");
    for (const index of [0, 14, body.length - 1]) {
      const altered = Buffer.from(body);
      altered[index] = (altered[index] ?? 0) ^ 0x01;
      expect(sealer.open(`v1.${altered.toString("base64url")}`, "user-1")).toBeNull();
    }
    expect(sealer.open(`v1.${body.subarray(0, 20).toString("base64url")}`, "user-1")).toBeNull();
    expect(sealer.open(`v2.${sealed.slice(3)}`, "user-1")).toBeNull();
    expect(sealer.open("", "user-1")).toBeNull();
  });

  it("refuses another key and another user's row", () => {
    const sealed = sealer.seal(LINK, "user-1");
    expect(createLinkSealer("b".repeat(44)).open(sealed, "user-1")).toBeNull();
    expect(sealer.open(sealed, "user-2")).toBeNull();
    // The same secret in another process opens it (the key is derived, not random).
    expect(createLinkSealer(SECRET).open(sealed, "user-1")).toBe(LINK);
  });
});
