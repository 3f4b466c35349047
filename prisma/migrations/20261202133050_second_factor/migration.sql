-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "SecurityEventType" ADD VALUE 'TOTP_ENABLED';
ALTER TYPE "SecurityEventType" ADD VALUE 'TOTP_DISABLED';
ALTER TYPE "SecurityEventType" ADD VALUE 'RECOVERY_CODES_REGENERATED';
ALTER TYPE "SecurityEventType" ADD VALUE 'RECOVERY_CODE_USED';

-- CreateTable
CREATE TABLE "TotpCredential" (
    "userId" TEXT NOT NULL,
    "secret" TEXT NOT NULL,
    "confirmedAt" TIMESTAMP(3),
    "lastUsedStep" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TotpCredential_pkey" PRIMARY KEY ("userId")
);

-- CreateTable
CREATE TABLE "RecoveryCode" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "usedAt" TIMESTAMP(3),

    CONSTRAINT "RecoveryCode_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "RecoveryCode_hash_key" ON "RecoveryCode"("hash");

-- CreateIndex
CREATE INDEX "RecoveryCode_userId_idx" ON "RecoveryCode"("userId");

-- AddForeignKey
ALTER TABLE "TotpCredential" ADD CONSTRAINT "TotpCredential_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RecoveryCode" ADD CONSTRAINT "RecoveryCode_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- =====================================================================================
-- Hand-written: CHECK constraints Prisma cannot express, listed on the TotpCredential and
-- RecoveryCode models in schema.prisma ("CHECK: …") and tested by
-- tests/integration/migrations.test.ts.
-- =====================================================================================

-- The TOTP key is stored only sealed (lib/security/sealing.ts: "v1." + base64url of IV,
-- ciphertext and tag), so a bare base32 key can never land in the table by mistake.
ALTER TABLE "TotpCredential" ADD CONSTRAINT "totp_credentials_secret_sealed"
  CHECK ("secret" ~ '^v1\.[A-Za-z0-9_-]+$');
ALTER TABLE "TotpCredential" ADD CONSTRAINT "totp_credentials_confirmed_after_created"
  CHECK ("confirmedAt" >= "createdAt");
-- Confirming accepts a first code, whose step is recorded (so that code cannot be replayed
-- to sign in); a pending enrolment has accepted none.
ALTER TABLE "TotpCredential" ADD CONSTRAINT "totp_credentials_step_when_confirmed"
  CHECK (("confirmedAt" IS NULL) = ("lastUsedStep" IS NULL));
ALTER TABLE "TotpCredential" ADD CONSTRAINT "totp_credentials_step_positive"
  CHECK ("lastUsedStep" > 0);

-- Only the HMAC-SHA-256 (lower-case hex) of a recovery code is stored, never the code.
ALTER TABLE "RecoveryCode" ADD CONSTRAINT "recovery_codes_hash_format"
  CHECK ("hash" ~ '^[0-9a-f]{64}$');
ALTER TABLE "RecoveryCode" ADD CONSTRAINT "recovery_codes_used_after_created"
  CHECK ("usedAt" >= "createdAt");
