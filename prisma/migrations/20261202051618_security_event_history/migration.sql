-- CreateIndex
CREATE INDEX "SecurityEvent_userId_history_idx" ON "SecurityEvent"("userId", "createdAt" DESC, "id" DESC) WHERE ("type" <> 'SIGN_IN_FAILED' OR "method" IS DISTINCT FROM 'password');
