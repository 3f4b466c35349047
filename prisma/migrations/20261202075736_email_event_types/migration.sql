-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "SecurityEventType" ADD VALUE 'EMAIL_VERIFIED';
ALTER TYPE "SecurityEventType" ADD VALUE 'PASSWORD_RESET_REQUESTED';
ALTER TYPE "SecurityEventType" ADD VALUE 'PASSWORD_RESET';
ALTER TYPE "SecurityEventType" ADD VALUE 'EMAIL_CHANGE_REQUESTED';
ALTER TYPE "SecurityEventType" ADD VALUE 'EMAIL_CHANGED';
