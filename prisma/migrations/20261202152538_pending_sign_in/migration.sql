-- AlterEnum
ALTER TYPE "SecurityEventType" ADD VALUE 'SECOND_FACTOR_FAILED';

-- CreateTable
CREATE TABLE "PendingSignIn" (
    "tokenHash" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "method" TEXT NOT NULL,
    "returnTo" TEXT NOT NULL,
    "ip" TEXT,
    "userAgent" TEXT,
    "failedAttempts" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PendingSignIn_pkey" PRIMARY KEY ("tokenHash")
);

-- CreateIndex
CREATE INDEX "PendingSignIn_userId_idx" ON "PendingSignIn"("userId");

-- AddForeignKey
ALTER TABLE "PendingSignIn" ADD CONSTRAINT "PendingSignIn_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- =====================================================================================
-- Hand-written: CHECK constraints Prisma cannot express, listed on the PendingSignIn model
-- in schema.prisma ("CHECK: …") and tested by tests/integration/migrations.test.ts.
-- =====================================================================================

-- Only the SHA-256 (lower-case hex) of the browser's token is stored, never the token.
ALTER TABLE "PendingSignIn" ADD CONSTRAINT "pending_sign_ins_hash_format"
  CHECK ("tokenHash" ~ '^[0-9a-f]{64}$');
ALTER TABLE "PendingSignIn" ADD CONSTRAINT "pending_sign_ins_expires_after_created"
  CHECK ("expiresAt" > "createdAt");
ALTER TABLE "PendingSignIn" ADD CONSTRAINT "pending_sign_ins_failed_attempts_range"
  CHECK ("failedAttempts" >= 0);
ALTER TABLE "PendingSignIn" ADD CONSTRAINT "pending_sign_ins_method_nonempty"
  CHECK (length("method") > 0);
-- Where the finished sign-in goes: a path on this site ("/…" but not "//…"), never a URL.
ALTER TABLE "PendingSignIn" ADD CONSTRAINT "pending_sign_ins_return_to_path"
  CHECK ("returnTo" ~ '^/([^/\\]|$)');
