-- CreateEnum
CREATE TYPE "PasskeyDeviceType" AS ENUM ('SINGLE_DEVICE', 'MULTI_DEVICE');

-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "SecurityEventType" ADD VALUE 'PASSKEY_ADDED';
ALTER TYPE "SecurityEventType" ADD VALUE 'PASSKEY_REMOVED';

-- CreateTable
CREATE TABLE "Passkey" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "credentialId" TEXT NOT NULL,
    "publicKey" BYTEA NOT NULL,
    "counter" BIGINT NOT NULL DEFAULT 0,
    "transports" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "deviceType" "PasskeyDeviceType" NOT NULL,
    "backedUp" BOOLEAN NOT NULL,
    "userHandle" TEXT NOT NULL,
    "aaguid" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),

    CONSTRAINT "Passkey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WebAuthnChallenge" (
    "idHash" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "challenge" TEXT NOT NULL,
    "userId" TEXT,
    "userHandle" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "WebAuthnChallenge_pkey" PRIMARY KEY ("idHash")
);

-- CreateIndex
CREATE UNIQUE INDEX "Passkey_credentialId_key" ON "Passkey"("credentialId");

-- CreateIndex
CREATE INDEX "Passkey_userId_idx" ON "Passkey"("userId");

-- CreateIndex
CREATE INDEX "WebAuthnChallenge_expiresAt_idx" ON "WebAuthnChallenge"("expiresAt");

-- CreateIndex
CREATE INDEX "WebAuthnChallenge_userId_idx" ON "WebAuthnChallenge"("userId");

-- AddForeignKey
ALTER TABLE "Passkey" ADD CONSTRAINT "Passkey_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WebAuthnChallenge" ADD CONSTRAINT "WebAuthnChallenge_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- =====================================================================================
-- Hand-written: CHECK constraints Prisma cannot express, listed on the Passkey and
-- WebAuthnChallenge models in schema.prisma ("CHECK: …") and tested by
-- tests/integration/migrations.test.ts.
-- =====================================================================================

-- A credential id is base64url (no padding) of at most 1023 bytes (WebAuthn Level 3,
-- "Credential ID"): 1364 characters.
ALTER TABLE "Passkey" ADD CONSTRAINT "passkeys_credential_id_format"
  CHECK ("credentialId" ~ '^[A-Za-z0-9_-]+$' AND char_length("credentialId") <= 1364);
ALTER TABLE "Passkey" ADD CONSTRAINT "passkeys_public_key_nonempty"
  CHECK (octet_length("publicKey") > 0);
-- The signature counter is an unsigned 32-bit integer in authenticator data.
ALTER TABLE "Passkey" ADD CONSTRAINT "passkeys_counter_range"
  CHECK ("counter" BETWEEN 0 AND 4294967295);
-- Prisma declares list columns nullable; a NULL would pass a containment check, so it is
-- refused here too. Unknown transports are dropped by the code before they get here.
ALTER TABLE "Passkey" ADD CONSTRAINT "passkeys_transports_known"
  CHECK ("transports" IS NOT NULL
    AND array_position("transports", NULL) IS NULL
    AND "transports" <@ ARRAY['ble', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']::TEXT[]);
-- The BS flag without BE is impossible (WebAuthn Level 3, "Credential Backup State").
ALTER TABLE "Passkey" ADD CONSTRAINT "passkeys_backed_up_multi_device"
  CHECK (NOT "backedUp" OR "deviceType" = 'MULTI_DEVICE');
-- 32 random bytes, base64url: never an email, a user id or anything else about the person.
ALTER TABLE "Passkey" ADD CONSTRAINT "passkeys_user_handle_format"
  CHECK ("userHandle" ~ '^[A-Za-z0-9_-]{43}$');
ALTER TABLE "Passkey" ADD CONSTRAINT "passkeys_aaguid_format"
  CHECK ("aaguid" ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$');
-- The name is typed by people and shown back to them: trimmed, short, one line.
ALTER TABLE "Passkey" ADD CONSTRAINT "passkeys_name_format"
  CHECK ("name" = btrim("name")
    AND char_length("name") BETWEEN 1 AND 64
    AND "name" !~ '[[:cntrl:]]');
ALTER TABLE "Passkey" ADD CONSTRAINT "passkeys_last_used_after_created"
  CHECK ("lastUsedAt" >= "createdAt");

-- Only the SHA-256 (lower-case hex) of the id the browser keeps is stored.
ALTER TABLE "WebAuthnChallenge" ADD CONSTRAINT "webauthn_challenges_id_hash_format"
  CHECK ("idHash" ~ '^[0-9a-f]{64}$');
ALTER TABLE "WebAuthnChallenge" ADD CONSTRAINT "webauthn_challenges_purpose_known"
  CHECK ("purpose" IN ('register', 'sign-in'));
-- Adding a passkey is for one signed-in user, under the handle offered to the
-- authenticator; signing in starts before anyone is known (discoverable credentials).
ALTER TABLE "WebAuthnChallenge" ADD CONSTRAINT "webauthn_challenges_user_for_register"
  CHECK (("purpose" = 'register') = ("userId" IS NOT NULL));
ALTER TABLE "WebAuthnChallenge" ADD CONSTRAINT "webauthn_challenges_handle_for_register"
  CHECK (("purpose" = 'register') = ("userHandle" IS NOT NULL)
    AND ("userHandle" IS NULL OR "userHandle" ~ '^[A-Za-z0-9_-]{43}$'));
-- 32 random bytes, base64url, as the WebAuthn library makes them.
ALTER TABLE "WebAuthnChallenge" ADD CONSTRAINT "webauthn_challenges_challenge_format"
  CHECK ("challenge" ~ '^[A-Za-z0-9_-]{43}$');
ALTER TABLE "WebAuthnChallenge" ADD CONSTRAINT "webauthn_challenges_expires_after_created"
  CHECK ("expiresAt" > "createdAt");
