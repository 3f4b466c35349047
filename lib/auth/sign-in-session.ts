// What every successful sign-in leaves in the database, whatever the method: a Session row
// for the new JWT, the browser's previous row discarded, SIGN_IN recorded (with its Telegram
// alert), and the person as stored for the token's claims.
import { recordSignIn } from "@/lib/auth/identity";
import { createSession, discardReplacedSession, type CreatedSession } from "@/lib/auth/sessions";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import type { RequestContext } from "@/lib/http/request-context";
import type { AfterRecordHook } from "@/lib/security/events";

export interface StoredProfile {
  name: string | null;
  email: string | null;
  image: string | null;
}

export interface StartedSession {
  session: CreatedSession;
  /** Null only if the user vanished meanwhile. */
  profile: StoredProfile | null;
}

export async function startSignedInSession(
  prisma: PrismaClient,
  input: {
    userId: string;
    method: string;
    context: RequestContext;
    /** The Session row this browser's cookie named until now, if any. */
    replacedSessionId: string | null;
    maxAgeSeconds: number;
    now: () => Date;
    afterRecord?: AfterRecordHook;
  },
): Promise<StartedSession> {
  const { userId, method, context, now } = input;
  const session = await createSession(prisma, {
    userId,
    method,
    ip: context.ip,
    userAgent: context.userAgent,
    maxAgeSeconds: input.maxAgeSeconds,
    now: now(),
  });
  // This browser's cookie is about to be replaced, so its old row is dead: without this,
  // every re-proof or link would leave a phantom device in the list.
  if (input.replacedSessionId !== null) {
    await discardReplacedSession(prisma, input.replacedSessionId);
  }
  // afterRecord queues the Telegram alert in the same transaction (lib/telegram).
  await recordSignIn(
    prisma,
    { userId, method, now: now(), ...context },
    { afterRecord: input.afterRecord },
  );
  // The person as stored (a password sign-in's `user` carries only the id).
  const profile = await prisma.user.findUnique({
    where: { id: userId },
    select: { name: true, email: true, image: true },
  });
  return { session, profile };
}
