// Sealing (lib/security/sealing.ts) and the outbox's link sealer built on it
// (lib/security/sealed-link.ts): AES-256-GCM under a key derived from AUTH_SECRET for one
// purpose, bound to the row's user. What is sealed opens only unaltered, for the same user,
// under the same secret and for the same purpose.
import { describe, expect, it } from "vitest";

import { createLinkSealer } from "@/lib/security/sealed-link";
import { createSealer } from "@/lib/security/sealing";

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

  it("keeps purposes apart: one secret, another purpose, opens nothing", () => {
    const totp = createSealer(SECRET, "gatehouse totp secret");
    const sealedLink = sealer.seal(LINK, "user-1");
    const sealedKey = totp.seal("JBSWY3DPEHPK3PXP", "user-1");
    expect(totp.open(sealedLink, "user-1")).toBeNull();
    expect(sealer.open(sealedKey, "user-1")).toBeNull();
    expect(totp.open(sealedKey, "user-1")).toBe("JBSWY3DPEHPK3PXP");
    expect(createSealer(SECRET, "gatehouse outbox link").open(sealedLink, "user-1")).toBe(LINK);
  });

  it("opens links sealed before the primitive was shared (outbox rows already queued)", () => {
    // Sealed by lib/security/sealed-link.ts as it stood before lib/security/sealing.ts.
    const queued =
      "v1.ruxU4B6AVQ4hsvW5yn4Hwd-_sIPBjO283jLvOWYkp7mPgU8RH9haPFhu10xjHlXKO1DV4jOuysd0pkYSS7wIBgxniXfGYATWavfNLTX2JOkpA2wIfzK4azG_dV37c24";
    expect(sealer.open(queued, "user-1")).toBe(LINK);
  });
});
