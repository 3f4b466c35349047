-- CreateEnum
CREATE TYPE "SignInApprovalState" AS ENUM ('WAITING', 'APPROVED', 'DENIED');

-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "SecurityEventType" ADD VALUE 'SIGN_IN_APPROVAL_ON';
ALTER TYPE "SecurityEventType" ADD VALUE 'SIGN_IN_APPROVAL_OFF';
ALTER TYPE "SecurityEventType" ADD VALUE 'SIGN_IN_DENIED';

-- AlterTable
ALTER TABLE "TelegramLink" ADD COLUMN     "approveSignIns" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "PendingSignIn" ADD COLUMN     "answeredAt" TIMESTAMP(3),
ADD COLUMN     "approval" "SignInApprovalState",
ADD COLUMN     "approvalChatId" BIGINT,
ADD COLUMN     "approvalId" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "PendingSignIn_approvalId_key" ON "PendingSignIn"("approvalId");

-- =====================================================================================
-- Hand-written: CHECK constraints Prisma cannot express, listed on the PendingSignIn model
-- in schema.prisma ("CHECK: …") and tested by tests/integration/migrations.test.ts.
-- =====================================================================================

-- A sign-in waiting for the chat's answer has all of it: the id its buttons carry, its
-- state and the chat that was asked; any other pending sign-in has none of it.
ALTER TABLE "PendingSignIn" ADD CONSTRAINT "pending_sign_ins_approval_complete"
  CHECK (
    ("approval" IS NULL AND "approvalId" IS NULL AND "approvalChatId" IS NULL)
    OR ("approval" IS NOT NULL AND "approvalId" IS NOT NULL AND "approvalChatId" IS NOT NULL)
  );
-- 16 random bytes, base64url without padding: what the buttons' callback data carries.
ALTER TABLE "PendingSignIn" ADD CONSTRAINT "pending_sign_ins_approval_id_format"
  CHECK ("approvalId" ~ '^[A-Za-z0-9_-]{22}$');
-- Answered exactly when the chat answered (approved or denied), never while waiting.
ALTER TABLE "PendingSignIn" ADD CONSTRAINT "pending_sign_ins_answered_when_answered"
  CHECK (("answeredAt" IS NOT NULL) = ("approval" IS NOT NULL AND "approval" <> 'WAITING'));
ALTER TABLE "PendingSignIn" ADD CONSTRAINT "pending_sign_ins_answered_after_created"
  CHECK ("answeredAt" >= "createdAt");
