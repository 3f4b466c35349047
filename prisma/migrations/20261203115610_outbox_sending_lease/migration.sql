-- AlterTable
ALTER TABLE "NotificationOutbox" ADD COLUMN     "sendingUntil" TIMESTAMP(3);
