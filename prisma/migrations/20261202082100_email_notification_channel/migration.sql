-- AlterEnum
ALTER TYPE "NotificationChannel" ADD VALUE 'EMAIL';
