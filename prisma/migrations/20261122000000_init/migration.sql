-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "SecurityEventType" AS ENUM ('SIGN_IN', 'SIGN_IN_FAILED', 'SIGN_UP', 'SIGN_OUT', 'ACCOUNT_LINKED', 'ACCOUNT_UNLINKED', 'PASSWORD_SET', 'PASSWORD_CHANGED', 'PASSWORD_REMOVED', 'SESSION_REVOKED', 'TELEGRAM_LINKED', 'TELEGRAM_UNLINKED');

-- CreateEnum
CREATE TYPE "NotificationChannel" AS ENUM ('TELEGRAM');

-- CreateEnum
CREATE TYPE "NotificationStatus" AS ENUM ('PENDING', 'SENT', 'FAILED');

-- CreateTable
CREATE TABLE "User" (
    "id" TEXT NOT NULL,
    "name" TEXT,
    "email" TEXT,
    "emailVerified" TIMESTAMP(3),
    "image" TEXT,
    "lastSignInAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Account" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "providerAccountId" TEXT NOT NULL,
    "refresh_token" TEXT,
    "access_token" TEXT,
    "expires_at" INTEGER,
    "token_type" TEXT,
    "scope" TEXT,
    "id_token" TEXT,
    "session_state" TEXT,
    "label" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Account_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Session" (
    "id" TEXT NOT NULL,
    "sessionToken" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "expires" TIMESTAMP(3) NOT NULL,
    "method" TEXT,
    "userAgent" TEXT,
    "ip" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "Session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "VerificationToken" (
    "identifier" TEXT NOT NULL,
    "token" TEXT NOT NULL,
    "expires" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "PasswordCredential" (
    "userId" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PasswordCredential_pkey" PRIMARY KEY ("userId")
);

-- CreateTable
CREATE TABLE "SecurityEvent" (
    "id" TEXT NOT NULL,
    "userId" TEXT,
    "type" "SecurityEventType" NOT NULL,
    "method" TEXT,
    "ip" TEXT,
    "userAgent" TEXT,
    "detail" TEXT,
    "requestId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SecurityEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TelegramLink" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "chatId" BIGINT NOT NULL,
    "telegramUserId" BIGINT NOT NULL,
    "username" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TelegramLink_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TelegramLinkToken" (
    "tokenHash" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),

    CONSTRAINT "TelegramLinkToken_pkey" PRIMARY KEY ("tokenHash")
);

-- CreateTable
CREATE TABLE "NotificationOutbox" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "securityEventId" TEXT,
    "channel" "NotificationChannel" NOT NULL DEFAULT 'TELEGRAM',
    "kind" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "status" "NotificationStatus" NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastError" TEXT,
    "externalId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMP(3),

    CONSTRAINT "NotificationOutbox_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");

-- CreateIndex
CREATE INDEX "Account_userId_idx" ON "Account"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "Account_provider_providerAccountId_key" ON "Account"("provider", "providerAccountId");

-- CreateIndex
CREATE UNIQUE INDEX "Session_sessionToken_key" ON "Session"("sessionToken");

-- CreateIndex
CREATE INDEX "Session_userId_idx" ON "Session"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "VerificationToken_identifier_token_key" ON "VerificationToken"("identifier", "token");

-- CreateIndex
CREATE INDEX "SecurityEvent_userId_createdAt_idx" ON "SecurityEvent"("userId", "createdAt" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "TelegramLink_userId_key" ON "TelegramLink"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "TelegramLink_chatId_key" ON "TelegramLink"("chatId");

-- CreateIndex
CREATE INDEX "TelegramLinkToken_userId_idx" ON "TelegramLinkToken"("userId");

-- CreateIndex
CREATE INDEX "NotificationOutbox_status_nextAttemptAt_idx" ON "NotificationOutbox"("status", "nextAttemptAt");

-- CreateIndex
CREATE INDEX "NotificationOutbox_userId_idx" ON "NotificationOutbox"("userId");

-- AddForeignKey
ALTER TABLE "Account" ADD CONSTRAINT "Account_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Session" ADD CONSTRAINT "Session_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PasswordCredential" ADD CONSTRAINT "PasswordCredential_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SecurityEvent" ADD CONSTRAINT "SecurityEvent_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TelegramLink" ADD CONSTRAINT "TelegramLink_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TelegramLinkToken" ADD CONSTRAINT "TelegramLinkToken_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "NotificationOutbox" ADD CONSTRAINT "NotificationOutbox_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "NotificationOutbox" ADD CONSTRAINT "NotificationOutbox_securityEventId_fkey" FOREIGN KEY ("securityEventId") REFERENCES "SecurityEvent"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- =====================================================================================
-- Hand-written additions (everything above was generated by `npm run db:diff -- init`).
-- Integrity Prisma's schema language cannot express: each constraint is named on its
-- model in schema.prisma ("CHECK: …"), and tests/integration/migrations.test.ts inserts
-- a row that breaks each one. Prisma's own diff ignores CHECK constraints and triggers,
-- so later generated migrations neither repeat nor drop them.
-- =====================================================================================

-- Emails are unique as stored, so " A@B.com" and "a@b.com" must not both exist: keep them
-- trimmed and lower-case. NULL passes (Stack Overflow gives no email).
ALTER TABLE "User" ADD CONSTRAINT "users_email_normalized"
  CHECK ("email" = lower(btrim("email")) AND "email" <> '');

-- An identity names its provider and the account at that provider; a blank one would
-- match nothing on sign-in yet still occupy the unique (provider, providerAccountId).
ALTER TABLE "Account" ADD CONSTRAINT "accounts_provider_nonempty"
  CHECK (btrim("provider") <> '');
ALTER TABLE "Account" ADD CONSTRAINT "accounts_provider_account_id_nonempty"
  CHECK (btrim("providerAccountId") <> '');

-- A session that expires before it starts, or was seen before it existed, is a bug in
-- the code that wrote it.
ALTER TABLE "Session" ADD CONSTRAINT "sessions_expires_after_created"
  CHECK ("expires" > "createdAt");
ALTER TABLE "Session" ADD CONSTRAINT "sessions_last_seen_after_created"
  CHECK ("lastSeenAt" >= "createdAt");

ALTER TABLE "VerificationToken" ADD CONSTRAINT "verification_tokens_identifier_nonempty"
  CHECK (btrim("identifier") <> '');
ALTER TABLE "VerificationToken" ADD CONSTRAINT "verification_tokens_expires_after_created"
  CHECK ("expires" > "createdAt");

-- Only argon2id PHC strings ($argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>, unpadded
-- base64): a plaintext password or a weaker hash written by mistake is refused here.
ALTER TABLE "PasswordCredential" ADD CONSTRAINT "password_credentials_argon2id"
  CHECK ("hash" ~ '^\$argon2id\$v=[0-9]+\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$');

ALTER TABLE "SecurityEvent" ADD CONSTRAINT "security_events_method_nonempty"
  CHECK (btrim("method") <> '');

-- Only the SHA-256 (lower-case hex) of a Telegram link token is stored, never the token.
ALTER TABLE "TelegramLinkToken" ADD CONSTRAINT "telegram_link_tokens_hash_format"
  CHECK ("tokenHash" ~ '^[0-9a-f]{64}$');
ALTER TABLE "TelegramLinkToken" ADD CONSTRAINT "telegram_link_tokens_expires_after_created"
  CHECK ("expiresAt" > "createdAt");
ALTER TABLE "TelegramLinkToken" ADD CONSTRAINT "telegram_link_tokens_used_after_created"
  CHECK ("usedAt" >= "createdAt");

ALTER TABLE "NotificationOutbox" ADD CONSTRAINT "notification_outbox_attempts_nonnegative"
  CHECK ("attempts" >= 0);
ALTER TABLE "NotificationOutbox" ADD CONSTRAINT "notification_outbox_kind_nonempty"
  CHECK (btrim("kind") <> '');

-- The security log is evidence: once written, a row never changes. UPDATE is refused for
-- everyone, the application included; rows still leave with their user (ON DELETE
-- CASCADE), because a deleted person leaves no trail. The error carries the trigger's
-- name as its constraint, like a CHECK violation would.
CREATE FUNCTION "security_events_reject_update"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'SecurityEvent is append-only: row % cannot be updated', OLD."id"
    USING ERRCODE = 'integrity_constraint_violation',
          CONSTRAINT = 'security_events_append_only';
END;
$$;

CREATE TRIGGER "security_events_append_only"
  BEFORE UPDATE ON "SecurityEvent"
  FOR EACH ROW EXECUTE FUNCTION "security_events_reject_update"();
