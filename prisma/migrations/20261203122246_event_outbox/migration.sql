-- CreateTable
CREATE TABLE "EventOutbox" (
    "securityEventId" TEXT NOT NULL,
    "nextAttemptAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "EventOutbox_pkey" PRIMARY KEY ("securityEventId")
);

-- CreateIndex
CREATE INDEX "EventOutbox_nextAttemptAt_idx" ON "EventOutbox"("nextAttemptAt");

-- AddForeignKey
ALTER TABLE "EventOutbox" ADD CONSTRAINT "EventOutbox_securityEventId_fkey" FOREIGN KEY ("securityEventId") REFERENCES "SecurityEvent"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- =====================================================================================
-- Hand-written: the trigger that queues every security event for publishing, listed on the
-- EventOutbox model in schema.prisma and tested by tests/integration/queue-events.test.ts.
-- =====================================================================================

-- In the event's own transaction, whatever code recorded it: a rolled-back event leaves
-- nothing to publish, and no path that records events can forget to queue them. Due at once,
-- in UTC like every instant here, whatever the session's TimeZone.
CREATE FUNCTION "security_events_queue_publication"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "EventOutbox" ("securityEventId", "nextAttemptAt")
  VALUES (NEW."id", now() AT TIME ZONE 'UTC');
  RETURN NULL;
END;
$$;

CREATE TRIGGER "security_events_to_outbox"
  AFTER INSERT ON "SecurityEvent"
  FOR EACH ROW EXECUTE FUNCTION "security_events_queue_publication"();
