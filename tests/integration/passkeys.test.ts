// Passkeys (lib/auth/passkeys) on freshly migrated databases, PostgreSQL and PGlite, with
// real WebAuthn responses from a software authenticator (tests/support/soft-authenticator.ts)
// checked by @simplewebauthn/server: adding one (discoverable, excluded when held already),
// signing in with one (user verification reported, counters, user handles), what each
// refuses (another origin or RP ID, a replayed, expired, foreign or other-purpose challenge,
// an unknown credential), races on one challenge, renaming and removing under the
// last-method guard, and the events with their Telegram alerts.
import { createHash, randomBytes } from "node:crypto";

import { describe, expect, inject, it } from "vitest";

import { unlinkIdentity } from "@/lib/account/methods";
import {
  finishPasskeyRegistration,
  finishPasskeySignIn,
  listPasskeys,
  PASSKEYS_PER_ACCOUNT_MAX,
  relyingParty,
  removePasskey,
  renamePasskey,
  startPasskeyRegistration,
  startPasskeySignIn,
} from "@/lib/auth/passkeys";
import type { Prisma, SecurityEvent } from "@/lib/generated/prisma/client";
import type { AfterRecordHook } from "@/lib/security/events";
import { alertHook } from "@/lib/telegram/outbox";
import { databaseBackends, migratedDatabase } from "@/tests/support/backends";
import {
  createSoftAuthenticator,
  type Ceremony,
  type SoftAuthenticator,
} from "@/tests/support/soft-authenticator";

const serverUrl = inject("databaseUrl");
const rp = relyingParty("https://gatehouse.example", "Gatehouse");
const origin = "https://gatehouse.example";
const TTL = 300;
const T = new Date("2026-06-01T10:00:00.000Z");
const at = (seconds: number) => new Date(T.getTime() + seconds * 1_000);
const context = {
  ip: "203.0.113.7",
  userAgent:
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36",
  requestId: "req-passkey",
};
const argon2idHash = `$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$RdescudvJCsgt3ub+b+dWRWJTmaaJObGq8CKvHDZ8c0`;

/** An afterRecord hook that remembers the events it saw. */
function recordingHook(): { hook: AfterRecordHook; seen: SecurityEvent[] } {
  const seen: SecurityEvent[] = [];
  return {
    seen,
    hook: (_tx, event) => {
      seen.push(event);
      return Promise.resolve();
    },
  };
}

describe.each(databaseBackends(serverUrl, { poolMax: 10 }))("passkeys on $name", (backend) => {
  describe.runIf(backend.available)("adding, signing in, managing", () => {
    const db = migratedDatabase(backend);
    const prisma = () => db().prisma;
    const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString("hex")}`;

    /** A user with an email and, as asked, a password or a Google identity. */
    async function newUser(
      ways: { email?: boolean; password?: boolean; google?: boolean } = { email: true },
    ) {
      return prisma().user.create({
        data: {
          email: ways.email === false ? null : `${unique("ada")}@example.com`,
          name: "Ada Lovelace",
          ...(ways.password ? { password: { create: { hash: argon2idHash } } } : {}),
          ...(ways.google
            ? {
                accounts: {
                  create: { type: "oidc", provider: "google", providerAccountId: unique("sub") },
                },
              }
            : {}),
        },
      });
    }

    async function startRegistration(userId: string, now = T) {
      const started = await startPasskeyRegistration(prisma(), {
        userId,
        rp,
        now,
        ttlSeconds: TTL,
      });
      if (started.status !== "started") throw new Error(`registration: ${started.status}`);
      return started;
    }

    /** Adds a passkey made by `authenticator`; returns the result and the options used. */
    async function register(
      userId: string,
      authenticator: SoftAuthenticator,
      {
        now = T,
        name,
        ceremony = {},
        afterRecord,
      }: {
        now?: Date;
        name?: unknown;
        ceremony?: Partial<Ceremony> & { reuse?: string };
        afterRecord?: AfterRecordHook;
      } = {},
    ) {
      const started = await startRegistration(userId, now);
      const response = authenticator.register(started.options, { origin, ...ceremony });
      const result = await finishPasskeyRegistration(prisma(), {
        userId,
        challengeId: started.challengeId,
        response,
        name,
        rp,
        now,
        context,
        afterRecord,
      });
      return { ...started, response, result };
    }

    async function registered(userId: string, authenticator: SoftAuthenticator, now = T) {
      const { result } = await register(userId, authenticator, { now });
      if (result.status !== "added") throw new Error(`registration: ${result.status}`);
      return result.passkey;
    }

    async function startSignIn(now = T) {
      return startPasskeySignIn(prisma(), { rp, now, ttlSeconds: TTL });
    }

    /** Signs in with `authenticator` in one go. */
    async function signIn(
      authenticator: SoftAuthenticator,
      {
        now = T,
        ceremony = {},
      }: {
        now?: Date;
        ceremony?: Partial<Ceremony> & {
          credentialId?: string;
          counter?: number;
          userHandle?: string | null;
        };
      } = {},
    ) {
      const started = await startSignIn(now);
      const response = authenticator.authenticate(started.options, { origin, ...ceremony });
      return finishPasskeySignIn(prisma(), {
        challengeId: started.challengeId,
        response,
        rp,
        now,
      });
    }

    const passkeyRow = (credentialId: string) =>
      prisma().passkey.findUniqueOrThrow({ where: { credentialId } });

    const challengeCount = (challengeId: string) =>
      prisma().webAuthnChallenge.count({
        where: { idHash: createHash("sha256").update(challengeId).digest("hex") },
      });

    /**
     * Runs `work` in `n` transactions at once. On PostgreSQL each transaction first holds its
     * own connection and waits for the others, so the `n` requests really overlap; PGlite has
     * one connection and runs transactions one after another (a gate would never open).
     */
    async function atOnce<R>(n: number, work: (tx: Prisma.TransactionClient) => Promise<R>) {
      let arrived = 0;
      let open = () => {};
      const gate = new Promise<void>((resolve) => (open = resolve));
      return Promise.all(
        Array.from({ length: n }, () =>
          prisma().$transaction(async (tx) => {
            if (backend.name === "PostgreSQL") {
              await tx.$queryRaw`SELECT 1`;
              if (++arrived === n) open();
              await gate;
            }
            return work(tx);
          }),
        ),
      );
    }

    describe("adding a passkey", () => {
      it("asks for a discoverable credential, and stores what signing in needs", async () => {
        const user = await newUser();
        const authenticator = createSoftAuthenticator({
          aaguid: "ADCE0002-35BC-C60A-648B-0B25F1F05503",
        });
        const { options, challengeId, response, result } = await register(user.id, authenticator, {
          name: "  Work   laptop ",
        });

        expect(options).toMatchObject({
          rp: { id: "gatehouse.example", name: "Gatehouse" },
          user: { name: user.email, displayName: "Ada Lovelace" },
          attestation: "none",
          timeout: TTL * 1_000,
          excludeCredentials: [],
          authenticatorSelection: {
            residentKey: "required",
            requireResidentKey: true,
            userVerification: "preferred",
          },
        });
        expect(options.pubKeyCredParams.map((param) => param.alg)).toEqual([-8, -7, -257]);
        // The user handle is 32 random bytes: neither the email nor the user id.
        const handle = Buffer.from(options.user.id, "base64url");
        expect(handle).toHaveLength(32);
        expect(handle.toString("utf8")).not.toContain(user.id);
        expect(handle.toString("utf8")).not.toContain(user.email ?? "@");

        expect(result).toEqual({
          status: "added",
          passkey: {
            id: expect.any(String) as string,
            name: "Work laptop",
            credentialId: response.id,
            deviceType: "multi-device",
            backedUp: true,
            createdAt: T,
            lastUsedAt: null,
          },
        });
        const row = await passkeyRow(response.id);
        expect(row).toMatchObject({
          userId: user.id,
          counter: 0n,
          transports: ["hybrid", "internal"],
          deviceType: "MULTI_DEVICE",
          backedUp: true,
          userHandle: options.user.id,
          aaguid: "adce0002-35bc-c60a-648b-0b25f1f05503",
          name: "Work laptop",
          createdAt: T,
          lastUsedAt: null,
        });
        // The COSE key the authenticator sent, byte for byte (EC2, ES256).
        expect(row.publicKey.length).toBeGreaterThan(64);
        // The challenge was used up, and only the id's hash had been stored.
        await expect(challengeCount(challengeId)).resolves.toBe(0);
        await expect(
          prisma().webAuthnChallenge.count({ where: { idHash: challengeId } }),
        ).resolves.toBe(0);
      });

      it("keeps the challenge by the hash of its id, and sweeps expired ones when another starts", async () => {
        const user = await newUser();
        const first = await startRegistration(user.id, T);
        const row = await prisma().webAuthnChallenge.findUniqueOrThrow({
          where: { idHash: createHash("sha256").update(first.challengeId).digest("hex") },
        });
        expect(row).toMatchObject({
          purpose: "register",
          challenge: first.options.challenge,
          userId: user.id,
          userHandle: first.options.user.id,
          createdAt: T,
          expiresAt: at(TTL),
        });
        // Still alive at the last moment of its life; swept by a start after it.
        await startSignIn(at(TTL - 1));
        await expect(challengeCount(first.challengeId)).resolves.toBe(1);
        await startSignIn(at(TTL));
        await expect(challengeCount(first.challengeId)).resolves.toBe(0);
      });

      it("names it after the browser and the date when no name is typed", async () => {
        const user = await newUser();
        const { result } = await register(user.id, createSoftAuthenticator(), { name: "   " });
        expect(result).toMatchObject({ passkey: { name: "Chrome on macOS, 1 Jun 2026" } });
      });

      it("refuses a name it cannot keep, before using the challenge: the same response can be resent", async () => {
        const user = await newUser();
        const started = await startRegistration(user.id);
        const response = createSoftAuthenticator().register(started.options, { origin });
        const finish = (name: unknown) =>
          finishPasskeyRegistration(prisma(), {
            userId: user.id,
            challengeId: started.challengeId,
            response,
            name,
            rp,
            now: T,
          });
        for (const name of ["x".repeat(65), "line\nbreak\u0007", "\u202Eevil", 42]) {
          await expect(finish(name), JSON.stringify(name)).resolves.toEqual({
            status: "invalid-name",
          });
        }
        await expect(prisma().passkey.count({ where: { userId: user.id } })).resolves.toBe(0);
        await expect(finish("ÿ".repeat(64))).resolves.toMatchObject({ status: "added" });
      });

      it("lists the account's passkeys to exclude: the same authenticator cannot add a second, another can, under the same handle", async () => {
        const user = await newUser();
        const phone = createSoftAuthenticator();
        const first = await registered(user.id, phone);
        const again = await startRegistration(user.id);
        expect(again.options.excludeCredentials).toEqual([
          { id: first.credentialId, type: "public-key", transports: ["hybrid", "internal"] },
        ]);
        expect(() => phone.register(again.options, { origin })).toThrow(/InvalidStateError/);

        const key = createSoftAuthenticator({ backupEligible: false, transports: ["usb", "nfc"] });
        const second = await register(user.id, key);
        expect(second.result).toMatchObject({
          status: "added",
          passkey: { deviceType: "single-device", backedUp: false },
        });
        const rows = await prisma().passkey.findMany({
          where: { userId: user.id },
          orderBy: { createdAt: "asc" },
        });
        expect(rows.map((row) => row.transports)).toEqual([
          ["hybrid", "internal"],
          ["nfc", "usb"],
        ]);
        expect(new Set(rows.map((row) => row.userHandle)).size).toBe(1);
        // Another account's handle is its own.
        const other = await startRegistration((await newUser()).id);
        expect(other.options.user.id).not.toBe(rows[0]?.userHandle);
      });

      it("accepts an authenticator that did not verify the person (user verification is preferred, not required)", async () => {
        const user = await newUser();
        const { result } = await register(user.id, createSoftAuthenticator(), {
          ceremony: { userVerified: false },
        });
        expect(result.status).toBe("added");
      });

      it.each([
        ["another origin", { origin: "https://gatehouse.example.evil.test" }],
        ["an origin with a port", { origin: "https://gatehouse.example:8443" }],
        ["another RP ID", { rpId: "evil.test" }],
        [
          "a response made for another ceremony",
          { challenge: randomBytes(32).toString("base64url") },
        ],
        ["a sign-in's client data", { type: "webauthn.get" }],
      ])("refuses %s, and the challenge is used up by the attempt", async (_label, ceremony) => {
        const user = await newUser();
        const authenticator = createSoftAuthenticator();
        const started = await startRegistration(user.id);
        const response = authenticator.register(started.options, { origin, ...ceremony });
        const finish = () =>
          finishPasskeyRegistration(prisma(), {
            userId: user.id,
            challengeId: started.challengeId,
            response,
            rp,
            now: T,
          });
        await expect(finish()).resolves.toMatchObject({ status: "not-verified" });
        await expect(finish()).resolves.toEqual({ status: "challenge-unknown" });
        await expect(prisma().passkey.count({ where: { userId: user.id } })).resolves.toBe(0);
      });

      it("refuses a malformed response without handing it to the library", async () => {
        const user = await newUser();
        for (const response of [
          null,
          "x",
          {},
          { id: "a", rawId: "a", type: "public-key", response: {} },
          {
            id: "a b",
            rawId: "a b",
            type: "public-key",
            response: { clientDataJSON: "a", attestationObject: "a" },
          },
        ]) {
          const started = await startRegistration(user.id);
          await expect(
            finishPasskeyRegistration(prisma(), {
              userId: user.id,
              challengeId: started.challengeId,
              response,
              rp,
              now: T,
            }),
          ).resolves.toEqual({ status: "not-verified", reason: "malformed response" });
        }
      });

      it("refuses a replayed response: its challenge was used", async () => {
        const user = await newUser();
        const started = await startRegistration(user.id);
        const response = createSoftAuthenticator().register(started.options, { origin });
        const input = { userId: user.id, challengeId: started.challengeId, response, rp, now: T };
        await expect(finishPasskeyRegistration(prisma(), input)).resolves.toMatchObject({
          status: "added",
        });
        await expect(finishPasskeyRegistration(prisma(), input)).resolves.toEqual({
          status: "challenge-unknown",
        });
      });

      it("refuses an expired challenge (and deletes it), a sign-in challenge, and ids that are no challenge", async () => {
        const user = await newUser();
        const authenticator = createSoftAuthenticator();
        const started = await startRegistration(user.id);
        const response = authenticator.register(started.options, { origin });
        const finish = (challengeId: unknown, now = T) =>
          finishPasskeyRegistration(prisma(), { userId: user.id, challengeId, response, rp, now });
        await expect(finish(started.challengeId, at(TTL))).resolves.toEqual({
          status: "challenge-expired",
        });
        await expect(challengeCount(started.challengeId)).resolves.toBe(0);

        const signInChallenge = await startSignIn();
        await expect(finish(signInChallenge.challengeId)).resolves.toEqual({
          status: "challenge-unknown",
        });
        // Left for the sign-in it belongs to.
        await expect(challengeCount(signInChallenge.challengeId)).resolves.toBe(1);
        for (const id of [undefined, 7, "", "x".repeat(43), "not an id at all"]) {
          await expect(finish(id), JSON.stringify(id)).resolves.toEqual({
            status: "challenge-unknown",
          });
        }
      });

      it("refuses another user's challenge and leaves it to its owner", async () => {
        const owner = await newUser();
        const intruder = await newUser();
        const started = await startRegistration(owner.id);
        const response = createSoftAuthenticator().register(started.options, { origin });
        await expect(
          finishPasskeyRegistration(prisma(), {
            userId: intruder.id,
            challengeId: started.challengeId,
            response,
            rp,
            now: T,
          }),
        ).resolves.toEqual({ status: "challenge-of-another-user" });
        await expect(prisma().passkey.count({ where: { userId: intruder.id } })).resolves.toBe(0);
        await expect(
          finishPasskeyRegistration(prisma(), {
            userId: owner.id,
            challengeId: started.challengeId,
            response,
            rp,
            now: T,
          }),
        ).resolves.toMatchObject({ status: "added" });
      });

      it("refuses a credential that is already a passkey, of this account or another", async () => {
        const victim = await newUser();
        const authenticator = createSoftAuthenticator();
        const passkey = await registered(victim.id, authenticator);
        for (const user of [await newUser(), victim]) {
          const { result } = await register(user.id, authenticator, {
            ceremony: { reuse: passkey.credentialId },
          });
          expect(result).toEqual({ status: "already-registered" });
        }
        await expect(passkeyRow(passkey.credentialId)).resolves.toMatchObject({
          userId: victim.id,
        });
      });

      it(`stops at ${PASSKEYS_PER_ACCOUNT_MAX} per account, before and after the ceremony`, async () => {
        const user = await newUser();
        const fill = (count: number) =>
          prisma().passkey.createMany({
            data: Array.from({ length: count }, () => ({
              userId: user.id,
              credentialId: randomBytes(16).toString("base64url"),
              publicKey: new Uint8Array([1]),
              deviceType: "MULTI_DEVICE" as const,
              backedUp: true,
              userHandle: randomBytes(32).toString("base64url"),
              aaguid: "00000000-0000-0000-0000-000000000000",
              name: "Filler",
            })),
          });
        await fill(PASSKEYS_PER_ACCOUNT_MAX - 1);
        const started = await startRegistration(user.id);
        const response = createSoftAuthenticator().register(started.options, { origin });
        await fill(1);
        await expect(
          startPasskeyRegistration(prisma(), { userId: user.id, rp, now: T, ttlSeconds: TTL }),
        ).resolves.toEqual({ status: "too-many" });
        await expect(
          finishPasskeyRegistration(prisma(), {
            userId: user.id,
            challengeId: started.challengeId,
            response,
            rp,
            now: T,
          }),
        ).resolves.toEqual({ status: "too-many" });
        await expect(prisma().passkey.count({ where: { userId: user.id } })).resolves.toBe(
          PASSKEYS_PER_ACCOUNT_MAX,
        );
      });

      it("two verifications of one registration at once: exactly one adds it", async () => {
        const user = await newUser();
        const started = await startRegistration(user.id);
        const response = createSoftAuthenticator().register(started.options, { origin });
        const results = await atOnce(2, (tx) =>
          finishPasskeyRegistration(tx, {
            userId: user.id,
            challengeId: started.challengeId,
            response,
            rp,
            now: T,
          }),
        );
        expect(results.map((result) => result.status).sort()).toEqual([
          "added",
          "challenge-unknown",
        ]);
        await expect(prisma().passkey.count({ where: { userId: user.id } })).resolves.toBe(1);
      });

      it("records PASSKEY_ADDED with the request's context; a refusal records nothing", async () => {
        const { hook, seen } = recordingHook();
        const user = await newUser();
        await register(user.id, createSoftAuthenticator(), {
          ceremony: { origin: "https://evil.test" },
          afterRecord: hook,
        });
        expect(seen).toEqual([]);
        await register(user.id, createSoftAuthenticator({ backupEligible: false }), {
          afterRecord: hook,
        });
        expect(seen.map((event) => [event.type, event.method, event.detail])).toEqual([
          ["PASSKEY_ADDED", "passkey", "single-device passkey"],
        ]);
        expect(seen[0]).toMatchObject({ userId: user.id, createdAt: T, ...context });
      });

      it("refuses an unknown user", async () => {
        await expect(
          startPasskeyRegistration(prisma(), { userId: "nobody", rp, now: T, ttlSeconds: TTL }),
        ).resolves.toEqual({ status: "unknown-user" });
      });
    });

    describe("signing in with a passkey", () => {
      it("names no credential in its options, and the assertion names the account", async () => {
        const user = await newUser();
        const phone = createSoftAuthenticator();
        const passkey = await registered(user.id, phone);
        const started = await startSignIn(at(60));
        expect(started.options).toMatchObject({
          rpId: "gatehouse.example",
          allowCredentials: [],
          userVerification: "preferred",
          timeout: TTL * 1_000,
        });
        const response = phone.authenticate(started.options, { origin });
        await expect(
          finishPasskeySignIn(prisma(), {
            challengeId: started.challengeId,
            response,
            rp,
            now: at(60),
          }),
        ).resolves.toEqual({
          status: "verified",
          userId: user.id,
          passkeyId: passkey.id,
          userVerified: true,
        });
        await expect(passkeyRow(passkey.credentialId)).resolves.toMatchObject({
          lastUsedAt: at(60),
          counter: 0n,
        });
        await expect(challengeCount(started.challengeId)).resolves.toBe(0);
        await expect(listPasskeys(prisma(), user.id)).resolves.toMatchObject([
          { id: passkey.id, lastUsedAt: at(60) },
        ]);
      });

      it("reports whether the authenticator verified the person", async () => {
        const user = await newUser();
        const key = createSoftAuthenticator({ backupEligible: false });
        await registered(user.id, key);
        await expect(signIn(key, { ceremony: { userVerified: false } })).resolves.toMatchObject({
          status: "verified",
          userId: user.id,
          userVerified: false,
        });
        await expect(signIn(key, { ceremony: { userVerified: true } })).resolves.toMatchObject({
          status: "verified",
          userVerified: true,
        });
      });

      it.each([
        ["another origin", { origin: "https://gatehouse.example.evil.test" }],
        ["an http origin", { origin: "http://gatehouse.example" }],
        ["another RP ID", { rpId: "evil.test" }],
        ["a registration's client data", { type: "webauthn.create" }],
      ])("refuses %s and leaves the passkey as it was", async (_label, ceremony) => {
        const user = await newUser();
        const phone = createSoftAuthenticator({ countsUses: true });
        const passkey = await registered(user.id, phone);
        const before = await passkeyRow(passkey.credentialId);
        await expect(
          signIn(phone, {
            now: at(5),
            ceremony: { ...ceremony, credentialId: passkey.credentialId },
          }),
        ).resolves.toMatchObject({ status: "not-verified" });
        await expect(passkeyRow(passkey.credentialId)).resolves.toEqual(before);
      });

      it("binds the response to its challenge: one made for another ceremony is refused", async () => {
        // What the cookie binding is for: an assertion obtained in one browser (or phished
        // for another challenge) does not pass with the challenge id of another.
        const user = await newUser();
        const phone = createSoftAuthenticator();
        await registered(user.id, phone);
        const theirs = await startSignIn();
        const mine = await startSignIn();
        const response = phone.authenticate(theirs.options, { origin });
        const result = await finishPasskeySignIn(prisma(), {
          challengeId: mine.challengeId,
          response,
          rp,
          now: T,
        });
        expect(result).toMatchObject({ status: "not-verified" });
        expect(result.status === "not-verified" && result.reason).toMatch(/challenge/);
      });

      it("refuses a replay: the challenge was used by the first verification", async () => {
        const user = await newUser();
        const phone = createSoftAuthenticator();
        await registered(user.id, phone);
        const started = await startSignIn();
        const input = {
          challengeId: started.challengeId,
          response: phone.authenticate(started.options, { origin }),
          rp,
          now: T,
        };
        await expect(finishPasskeySignIn(prisma(), input)).resolves.toMatchObject({
          status: "verified",
        });
        await expect(finishPasskeySignIn(prisma(), input)).resolves.toEqual({
          status: "challenge-unknown",
        });
      });

      it("ten verifications of one challenge at once, each in its own transaction: exactly one proceeds", async () => {
        const user = await newUser();
        const phone = createSoftAuthenticator();
        const passkey = await registered(user.id, phone);
        const started = await startSignIn();
        const response = phone.authenticate(started.options, { origin });
        const results = await atOnce(10, (tx) =>
          finishPasskeySignIn(tx, { challengeId: started.challengeId, response, rp, now: at(1) }),
        );
        expect(results.map((result) => result.status).sort()).toEqual([
          ...Array<string>(9).fill("challenge-unknown"),
          "verified",
        ]);
        await expect(passkeyRow(passkey.credentialId)).resolves.toMatchObject({
          lastUsedAt: at(1),
        });
      });

      it("refuses an expired challenge, a registration's, and ids that are no challenge", async () => {
        const user = await newUser();
        const phone = createSoftAuthenticator();
        await registered(user.id, phone);
        const started = await startSignIn();
        const response = phone.authenticate(started.options, { origin });
        const finish = (challengeId: unknown, now = T) =>
          finishPasskeySignIn(prisma(), { challengeId, response, rp, now });
        await expect(finish(started.challengeId, at(TTL))).resolves.toEqual({
          status: "challenge-expired",
        });
        const registration = await startRegistration(user.id);
        await expect(finish(registration.challengeId)).resolves.toEqual({
          status: "challenge-unknown",
        });
        await expect(challengeCount(registration.challengeId)).resolves.toBe(1);
        for (const id of [null, "", "x".repeat(43), { id: started.challengeId }]) {
          await expect(finish(id)).resolves.toEqual({ status: "challenge-unknown" });
        }
      });

      it("refuses a credential no account has: never added here, or removed", async () => {
        const stranger = createSoftAuthenticator();
        stranger.register((await startRegistration((await newUser()).id)).options, { origin });
        await expect(signIn(stranger)).resolves.toEqual({ status: "unknown-credential" });

        const user = await newUser({ password: true });
        const phone = createSoftAuthenticator();
        const passkey = await registered(user.id, phone);
        await removePasskey(prisma(), { userId: user.id, passkeyId: passkey.id, now: at(1) });
        await expect(signIn(phone, { now: at(2) })).resolves.toEqual({
          status: "unknown-credential",
        });
      });

      it("refuses a missing user handle, or one that is not the passkey's", async () => {
        const user = await newUser();
        const phone = createSoftAuthenticator();
        const passkey = await registered(user.id, phone);
        const otherHandle = (await startRegistration((await newUser()).id)).options.user.id;
        for (const userHandle of [null, otherHandle, Buffer.from(user.id).toString("base64url")]) {
          await expect(signIn(phone, { ceremony: { userHandle } })).resolves.toEqual({
            status: "user-handle-mismatch",
          });
        }
        await expect(passkeyRow(passkey.credentialId)).resolves.toMatchObject({
          lastUsedAt: null,
        });
      });

      it("keeps the signature counter, and refuses one that does not move forward (a possible clone)", async () => {
        const user = await newUser();
        const key = createSoftAuthenticator({ backupEligible: false, countsUses: true });
        const passkey = await registered(user.id, key);
        await expect(signIn(key, { now: at(1) })).resolves.toMatchObject({ status: "verified" });
        await expect(signIn(key, { now: at(2) })).resolves.toMatchObject({ status: "verified" });
        await expect(passkeyRow(passkey.credentialId)).resolves.toMatchObject({
          counter: 2n,
          lastUsedAt: at(2),
        });
        const regressed = {
          status: "counter-regressed",
          userId: user.id,
          passkeyId: passkey.id,
        };
        for (const counter of [2, 1, 0]) {
          await expect(signIn(key, { now: at(3), ceremony: { counter } })).resolves.toEqual(
            regressed,
          );
        }
        await expect(passkeyRow(passkey.credentialId)).resolves.toMatchObject({
          counter: 2n,
          lastUsedAt: at(2),
        });
        // A jump forward is fine (the key was used elsewhere meanwhile), up to 2^32 - 1.
        for (const counter of [1_000, 4_294_967_295]) {
          await expect(signIn(key, { now: at(4), ceremony: { counter } })).resolves.toMatchObject({
            status: "verified",
          });
        }
        await expect(passkeyRow(passkey.credentialId)).resolves.toMatchObject({
          counter: 4_294_967_295n,
        });
      });

      it("accepts 0 every time from an authenticator that does not count", async () => {
        const user = await newUser();
        const phone = createSoftAuthenticator({ countsUses: false });
        const passkey = await registered(user.id, phone);
        for (const second of [1, 2, 3]) {
          await expect(signIn(phone, { now: at(second) })).resolves.toMatchObject({
            status: "verified",
          });
        }
        await expect(passkeyRow(passkey.credentialId)).resolves.toMatchObject({ counter: 0n });
      });

      it("two sign-ins racing with one counting key: the older counter cannot win after the newer", async () => {
        const user = await newUser();
        const key = createSoftAuthenticator({ backupEligible: false });
        const passkey = await registered(user.id, key);
        const first = await startSignIn();
        const second = await startSignIn();
        const older = key.authenticate(first.options, { origin, counter: 5 });
        const newer = key.authenticate(second.options, { origin, counter: 6 });
        const finish = (challengeId: string, response: typeof older) =>
          finishPasskeySignIn(prisma(), { challengeId, response, rp, now: at(1) });
        await expect(finish(second.challengeId, newer)).resolves.toMatchObject({
          status: "verified",
        });
        await expect(finish(first.challengeId, older)).resolves.toMatchObject({
          status: "counter-regressed",
        });
        await expect(passkeyRow(passkey.credentialId)).resolves.toMatchObject({ counter: 6n });
      });

      it("keeps the backup state the authenticator reports at each sign-in", async () => {
        const user = await newUser();
        const phone = createSoftAuthenticator({ backedUp: false });
        const passkey = await registered(user.id, phone);
        await expect(passkeyRow(passkey.credentialId)).resolves.toMatchObject({
          deviceType: "MULTI_DEVICE",
          backedUp: false,
        });
        await signIn(phone, { now: at(1), ceremony: { backedUp: true } });
        await expect(passkeyRow(passkey.credentialId)).resolves.toMatchObject({
          backedUp: true,
        });
      });

      it("refuses a malformed response", async () => {
        for (const response of [undefined, [], { id: "abc", rawId: "abc", type: "public-key" }]) {
          const started = await startSignIn();
          await expect(
            finishPasskeySignIn(prisma(), {
              challengeId: started.challengeId,
              response,
              rp,
              now: T,
            }),
          ).resolves.toEqual({ status: "not-verified", reason: "malformed response" });
        }
      });
    });

    describe("managing passkeys", () => {
      it("lists them oldest first, with nothing that verifies or identifies a person", async () => {
        const user = await newUser();
        const a = await registered(user.id, createSoftAuthenticator(), at(1));
        const b = await registered(user.id, createSoftAuthenticator(), at(2));
        const listed = await listPasskeys(prisma(), user.id);
        expect(listed.map((passkey) => passkey.id)).toEqual([a.id, b.id]);
        expect(Object.keys(listed[0] ?? {}).sort()).toEqual([
          "backedUp",
          "createdAt",
          "credentialId",
          "deviceType",
          "id",
          "lastUsedAt",
          "name",
        ]);
        await expect(listPasskeys(prisma(), (await newUser()).id)).resolves.toEqual([]);
      });

      it("renames one; another user's passkey id is as unknown as one that never was", async () => {
        const user = await newUser();
        const other = await newUser();
        const passkey = await registered(user.id, createSoftAuthenticator());
        await expect(
          renamePasskey(prisma(), { userId: user.id, passkeyId: passkey.id, name: " YubiKey\t5 " }),
        ).resolves.toEqual({ status: "renamed", passkey: { ...passkey, name: "YubiKey 5" } });
        for (const passkeyId of ["nope", 12]) {
          await expect(
            renamePasskey(prisma(), { userId: user.id, passkeyId, name: "Mine" }),
          ).resolves.toEqual({ status: "not-found" });
        }
        await expect(
          renamePasskey(prisma(), { userId: other.id, passkeyId: passkey.id, name: "Mine" }),
        ).resolves.toEqual({ status: "not-found" });
        for (const name of ["", "   ", "x".repeat(65)]) {
          await expect(
            renamePasskey(prisma(), { userId: user.id, passkeyId: passkey.id, name }),
          ).resolves.toEqual({ status: "invalid-name" });
        }
        await expect(passkeyRow(passkey.credentialId)).resolves.toMatchObject({
          name: "YubiKey 5",
        });
      });

      it("removes one and records it; another user's id changes nothing", async () => {
        const { hook, seen } = recordingHook();
        const user = await newUser({ password: true });
        const other = await newUser({ password: true });
        const passkey = await registered(user.id, createSoftAuthenticator());
        await expect(
          removePasskey(prisma(), {
            userId: other.id,
            passkeyId: passkey.id,
            now: at(1),
            afterRecord: hook,
          }),
        ).resolves.toEqual({ status: "not-found" });
        await expect(
          removePasskey(prisma(), { userId: user.id, passkeyId: "nope", now: at(1) }),
        ).resolves.toEqual({ status: "not-found" });
        await expect(prisma().passkey.count({ where: { id: passkey.id } })).resolves.toBe(1);
        expect(seen).toEqual([]);

        await expect(
          removePasskey(prisma(), {
            userId: user.id,
            passkeyId: passkey.id,
            now: at(2),
            context,
            afterRecord: hook,
          }),
        ).resolves.toEqual({ status: "removed" });
        await expect(listPasskeys(prisma(), user.id)).resolves.toEqual([]);
        expect(seen.map((event) => [event.type, event.method, event.detail])).toEqual([
          ["PASSKEY_REMOVED", "passkey", "removed from the account page"],
        ]);
        expect(seen[0]).toMatchObject({ userId: user.id, createdAt: at(2), ...context });
      });

      describe("the last-method guard counts passkeys", () => {
        it("a passkey-only account keeps its last passkey, and can remove all others", async () => {
          const user = await newUser({ email: false });
          const a = await registered(user.id, createSoftAuthenticator());
          const b = await registered(user.id, createSoftAuthenticator());
          await expect(
            removePasskey(prisma(), { userId: user.id, passkeyId: a.id, now: at(1) }),
          ).resolves.toEqual({ status: "removed" });
          await expect(
            removePasskey(prisma(), { userId: user.id, passkeyId: b.id, now: at(2) }),
          ).resolves.toEqual({ status: "last-sign-in-method" });
          await expect(listPasskeys(prisma(), user.id)).resolves.toMatchObject([{ id: b.id }]);
        });

        it("a password without an email is no way in: the passkey stays", async () => {
          const user = await newUser({ email: false, password: true });
          const passkey = await registered(user.id, createSoftAuthenticator());
          await expect(
            removePasskey(prisma(), { userId: user.id, passkeyId: passkey.id, now: at(1) }),
          ).resolves.toEqual({ status: "last-sign-in-method" });
        });

        it("an account with a password and a passkey can remove the passkey", async () => {
          const user = await newUser({ password: true });
          const passkey = await registered(user.id, createSoftAuthenticator());
          await expect(
            removePasskey(prisma(), { userId: user.id, passkeyId: passkey.id, now: at(1) }),
          ).resolves.toEqual({ status: "removed" });
        });

        it("unlinking the last OAuth identity is allowed when a passkey remains, and then the passkey is the last", async () => {
          const user = await newUser({ google: true });
          const google = await prisma().account.findFirstOrThrow({ where: { userId: user.id } });
          // Without a passkey, Google is the only way in.
          await expect(
            unlinkIdentity(prisma(), { userId: user.id, accountId: google.id, now: at(1) }),
          ).rejects.toMatchObject({ code: "last-sign-in-method" });
          const passkey = await registered(user.id, createSoftAuthenticator(), at(2));
          await expect(
            unlinkIdentity(prisma(), { userId: user.id, accountId: google.id, now: at(3) }),
          ).resolves.toEqual({ provider: "google" });
          await expect(
            removePasskey(prisma(), { userId: user.id, passkeyId: passkey.id, now: at(4) }),
          ).resolves.toEqual({ status: "last-sign-in-method" });
        });

        it("two removals at once of an account's last two passkeys: one is removed, one refused", async () => {
          const user = await newUser({ email: false });
          const a = await registered(user.id, createSoftAuthenticator());
          const b = await registered(user.id, createSoftAuthenticator());
          const ids = [a.id, b.id];
          const results = await atOnce(2, (tx) =>
            removePasskey(tx, { userId: user.id, passkeyId: ids.pop(), now: at(1) }),
          );
          expect(results.map((result) => result.status).sort()).toEqual([
            "last-sign-in-method",
            "removed",
          ]);
          await expect(prisma().passkey.count({ where: { userId: user.id } })).resolves.toBe(1);
        });
      });
    });

    it("with a Telegram chat linked, adding and removing queue their alerts through the real hook", async () => {
      const deliveries: number[] = [];
      const afterRecord = alertHook({ deliverSoon: () => deliveries.push(1) });
      const user = await newUser({ password: true });
      await prisma().telegramLink.create({
        data: { userId: user.id, chatId: BigInt(Date.now()) * 100n + 3n, telegramUserId: 9n },
      });
      const { result } = await register(user.id, createSoftAuthenticator(), { afterRecord });
      if (result.status !== "added") throw new Error(`registration: ${result.status}`);
      await removePasskey(prisma(), {
        userId: user.id,
        passkeyId: result.passkey.id,
        now: at(1),
        afterRecord,
      });
      const queued = await prisma().notificationOutbox.findMany({
        where: { userId: user.id },
        orderBy: { createdAt: "asc" },
        select: { channel: true, kind: true, status: true, securityEventId: true },
      });
      expect(queued.map((row) => [row.channel, row.kind, row.status])).toEqual([
        ["TELEGRAM", "PASSKEY_ADDED", "PENDING"],
        ["TELEGRAM", "PASSKEY_REMOVED", "PENDING"],
      ]);
      expect(queued.every((row) => row.securityEventId !== null)).toBe(true);
      expect(deliveries).toHaveLength(2);
    });
  });
});
