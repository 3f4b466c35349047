-- CreateEnum
CREATE TYPE "EmailTokenKind" AS ENUM ('VERIFY_EMAIL', 'RESET_PASSWORD', 'CHANGE_EMAIL');

-- CreateTable
CREATE TABLE "EmailToken" (
    "tokenHash" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "kind" "EmailTokenKind" NOT NULL,
    "email" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),

    CONSTRAINT "EmailToken_pkey" PRIMARY KEY ("tokenHash")
);

-- CreateIndex
CREATE INDEX "EmailToken_userId_kind_idx" ON "EmailToken"("userId", "kind");

-- AddForeignKey
ALTER TABLE "EmailToken" ADD CONSTRAINT "EmailToken_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- =====================================================================================
-- Hand-written: CHECK constraints Prisma cannot express, listed on the EmailToken model in
-- schema.prisma ("CHECK: …") and tested by tests/integration/migrations.test.ts.
-- =====================================================================================

-- Only the SHA-256 (lower-case hex) of an emailed token is stored, never the token.
ALTER TABLE "EmailToken" ADD CONSTRAINT "email_tokens_hash_format"
  CHECK ("tokenHash" ~ '^[0-9a-f]{64}$');
ALTER TABLE "EmailToken" ADD CONSTRAINT "email_tokens_expires_after_created"
  CHECK ("expiresAt" > "createdAt");
ALTER TABLE "EmailToken" ADD CONSTRAINT "email_tokens_used_after_created"
  CHECK ("usedAt" >= "createdAt");
-- The address in the normal form users store (lib/email.ts), so a link proves exactly the
-- address an account would be looked up by.
ALTER TABLE "EmailToken" ADD CONSTRAINT "email_tokens_email_normalized"
  CHECK ("email" = lower(btrim("email")) AND "email" <> '');
