// Approving sign-ins from the Telegram chat: a second factor that is a button press.
//
// An account turns it on with `setSignInApproval`; it lives on the TelegramLink
// (`approveSignIns`), so no chat means no approval, and unlinking the chat (or the claim
// rule removing it) ends it. When the first factor passes for such an account, the sign-in
// is held as a PendingSignIn (pending-sign-in.ts: browser-bound by its hashed cookie token,
// short-lived) that waits for the chat instead of a code:
// - `approvalId`, 16 random bytes in base64url, is what the chat's buttons carry
//   (`approve:<approvalId>`, `deny:<approvalId>`); the cookie's token never leaves the
//   browser, so neither a forwarded message nor the bot's history can finish the sign-in;
// - the chat is asked through the outbox (a TELEGRAM row of kind SIGN_IN_APPROVAL_KIND,
//   queued in the same transaction; lib/telegram/outbox.ts renders it while the request is
//   still waiting and unexpired);
// - a button works once (one conditional UPDATE … WHERE approval = 'WAITING' AND
//   expiresAt > now), only from the chat linked to the account now and asked then, and only
//   for its own pending sign-in. Deny records SIGN_IN_DENIED (alerted); Approve records
//   nothing: the sign-in's own SIGN_IN comes when the session is made;
// - the waiting browser polls `approvalStatus` and, once approved, spends the row with
//   `completeApprovedSignIn`: one conditional DELETE, so of many requests one wins.
// "Sign out everywhere" deletes every pending sign-in of the user, these included
// (sessions.ts revokeAllSessions).
//
// API:
//   setSignInApproval(db, { userId, on, now, context?, afterRecord? })
//     → { ok: true, changed } | { ok: false, reason: "no-chat" }; records SIGN_IN_APPROVAL_ON/_OFF;
//       turning it off ends the requests still waiting

//   approvalWanted(db, userId)               → { chatId } | null
//   knownBrowsersSince(db, userId)           → Date | null (browsers known before it are new again)
//   startApproval(db, { userId, method, returnTo, context, now, ttlSeconds, deliverSoon? })
//     → { token, expiresAt } | null (null: approval is not on for the account any more);
//       at most MAX_WAITING_APPROVALS wait per account, the oldest end first
//   answerApproval(db, { approvalId, chatId, answer, now, context?, afterRecord? })
//     → "approved" | "denied" | "already-answered" | "expired" | "unknown" | "wrong-chat"
//   approvalStatus(db, token, now)           → "waiting" | "approved" | "denied" | "expired" | "gone"
//   findApproval(db, token, now)             → { status, userId, expiresAt } | null (the waiting page)
//   completeApprovedSignIn(db, token, now)   → PendingSignInView | null (deletes it)
//   switchApprovalToCode(db, { token, now, codeTtlSeconds })
//     → "switched" | "unavailable": an unanswered request (waiting, or expired less than
//       codeTtlSeconds ago) becomes a pending sign-in waiting for the authenticator app's
//       code, for an account that has one. Denied and approved ones never do.
import { randomBytes } from "node:crypto";

import {
  hashPendingSignInToken,
  PENDING_SIGN_IN_TOKEN_PATTERN,
  pendingSignInView,
  startPendingSignIn,
  type PendingSignInView,
  type StartPendingSignInInput,
} from "@/lib/auth/pending-sign-in";
import { requiresSecondFactor } from "@/lib/auth/second-factor";
import { queueNotification } from "@/lib/notifications/outbox";
import {
  inTransaction,
  recordSecurityEvent,
  type AfterRecordHook,
  type DbClient,
  type EventContext,
} from "@/lib/security/events";

/** The outbox row that asks the chat (lib/telegram/outbox.ts renders it). */
export const SIGN_IN_APPROVAL_KIND = "SIGN_IN_APPROVAL";

/** 16 bytes, base64url without padding (pending_sign_ins_approval_id_format). */
export const APPROVAL_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/** Sign-ins of one account waiting for the chat at once; a new one ends the oldest. */
export const MAX_WAITING_APPROVALS = 3;

/** The outbox row's payload: which pending sign-in to ask about (nothing secret). */
export interface SignInApprovalPayload {
  approvalId: string;
}

// ---- the setting ------------------------------------------------------------------------

export type SetSignInApprovalResult =
  /** `changed` is false when it already was as asked (no event then). */
  | { ok: true; changed: boolean }
  /** No Telegram chat is linked: there is nowhere to ask. */
  | { ok: false; reason: "no-chat" };

/**
 * Turns approving sign-ins from the linked chat on or off. Records SIGN_IN_APPROVAL_ON or
 * SIGN_IN_APPROVAL_OFF when it changes (with `afterRecord`, which alerts the chat).
 */
export function setSignInApproval(
  db: DbClient,
  input: {
    userId: string;
    on: boolean;
    now: Date;
    context?: EventContext;
    afterRecord?: AfterRecordHook;
  },
): Promise<SetSignInApprovalResult> {
  return inTransaction(db, async (tx) => {
    const { count } = await tx.telegramLink.updateMany({
      where: { userId: input.userId, approveSignIns: !input.on },
      data: { approveSignIns: input.on },
    });
    if (count === 0) {
      const link = await tx.telegramLink.findUnique({
        where: { userId: input.userId },
        select: { id: true },
      });
      return link ? { ok: true, changed: false } : { ok: false, reason: "no-chat" };
    }
    // Turned off, nobody is asked any more: a sign-in still waiting for the chat ends (its
    // browser sees "gone" and signs in again, now without the chat). Approved ones finish.
    if (!input.on) {
      await tx.pendingSignIn.deleteMany({ where: { userId: input.userId, approval: "WAITING" } });
    }
    await recordSecurityEvent(
      tx,
      {
        userId: input.userId,
        type: input.on ? "SIGN_IN_APPROVAL_ON" : "SIGN_IN_APPROVAL_OFF",
        method: "telegram",
        at: input.now,
        ...input.context,
      },
      { afterRecord: input.afterRecord },
    );
    return { ok: true, changed: true };
  });
}

/**
 * Since when a browser must have signed in to count as known to the account (approval-gate.ts):
 * the latest of approval being turned on and any session being revoked ("sign out
 * everywhere", "Not me", a device signed out from the account page). Every browser is new
 * once after that, so a browser the person no longer trusts — one that got in before approval
 * was on, or the device they just signed out — cannot skip the chat because it signed in
 * before. Null: no such moment (never happens while approval is on, which records one).
 */
export async function knownBrowsersSince(db: DbClient, userId: string): Promise<Date | null> {
  const latest = await db.securityEvent.findFirst({
    where: { userId, type: { in: ["SIGN_IN_APPROVAL_ON", "SESSION_REVOKED"] } },
    orderBy: { createdAt: "desc" },
    select: { createdAt: true },
  });
  return latest?.createdAt ?? null;
}

/** The chat to ask when the account approves sign-ins from Telegram, else null. */
export async function approvalWanted(
  db: DbClient,
  userId: string,
): Promise<{ chatId: number } | null> {
  const link = await db.telegramLink.findUnique({
    where: { userId },
    select: { chatId: true, approveSignIns: true },
  });
  return link?.approveSignIns ? { chatId: Number(link.chatId) } : null;
}

// ---- holding a sign-in for the chat's answer ---------------------------------------------

export interface StartApprovalInput extends Omit<StartPendingSignInInput, "approval"> {
  /** Asks for a delivery soon, once the transaction is over. */
  deliverSoon?: () => void;
}

/**
 * Holds the sign-in until the linked chat answers: a pending sign-in waiting for the chat
 * (its token goes into the browser's cookie, as with a code) and, in the same transaction,
 * the outbox row that asks the chat. Null when the account does not approve sign-ins from
 * Telegram (any more): the caller goes on as without approval.
 */
export async function startApproval(
  db: DbClient,
  input: StartApprovalInput,
): Promise<{ token: string; expiresAt: Date } | null> {
  const { deliverSoon, ...pending } = input;
  const started = await inTransaction(db, async (tx) => {
    // A no-op UPDATE: it answers whether approval is on and takes the link's row lock, so
    // the sign-ins of one account pass here one at a time and the cap below counts what the
    // others committed.
    const { count } = await tx.telegramLink.updateMany({
      where: { userId: input.userId, approveSignIns: true },
      data: { approveSignIns: true },
    });
    if (count === 0) return null;
    const link = await tx.telegramLink.findUniqueOrThrow({
      where: { userId: input.userId },
      select: { chatId: true },
    });
    // At most MAX_WAITING_APPROVALS questions stand open per account: the oldest give way to
    // the newest (the person signing in now). Someone who has the password cannot pile up
    // requests; how often they can ask is bounded by the sign-in limits.
    const surplus = await tx.pendingSignIn.findMany({
      where: { userId: input.userId, approval: "WAITING", expiresAt: { gt: input.now } },
      orderBy: [{ createdAt: "desc" }, { tokenHash: "asc" }],
      skip: MAX_WAITING_APPROVALS - 1,
      select: { tokenHash: true },
    });
    if (surplus.length > 0) {
      await tx.pendingSignIn.deleteMany({
        where: { tokenHash: { in: surplus.map((row) => row.tokenHash) }, approval: "WAITING" },
      });
    }
    const approvalId = randomBytes(16).toString("base64url");
    const held = await startPendingSignIn(tx, {
      ...pending,
      approval: { approvalId, chatId: link.chatId },
    });
    const payload: SignInApprovalPayload = { approvalId };
    await queueNotification(tx, {
      channel: "TELEGRAM",
      userId: input.userId,
      kind: SIGN_IN_APPROVAL_KIND,
      payload: { ...payload },
      at: input.now,
    });
    return held;
  });
  if (started) deliverSoon?.();
  return started;
}

// ---- the chat's answer -------------------------------------------------------------------

export type ApprovalAnswer = "approve" | "deny";

export type AnswerApprovalResult =
  | "approved"
  | "denied"
  /** Approved or denied before (a double tap, or the other button). */
  | "already-answered"
  | "expired"
  /** No such request: never made, used up, cancelled, swept, or malformed. */
  | "unknown"
  /** Pressed in a chat that is not the account's linked chat, or not the one asked. */
  | "wrong-chat";

/**
 * The chat `chatId` answers the request `approvalId`. Only the chat that was asked and is
 * still linked to the account can, once, before it expires. Deny records SIGN_IN_DENIED
 * (with the refused sign-in's method, IP and device; `afterRecord` alerts the chat).
 */
export function answerApproval(
  db: DbClient,
  input: {
    approvalId: string;
    chatId: number;
    answer: ApprovalAnswer;
    now: Date;
    context?: EventContext;
    afterRecord?: AfterRecordHook;
  },
): Promise<AnswerApprovalResult> {
  const { approvalId, now } = input;
  if (!APPROVAL_ID_PATTERN.test(approvalId) || !Number.isSafeInteger(input.chatId)) {
    return Promise.resolve("unknown");
  }
  const chatId = BigInt(input.chatId);
  return inTransaction(db, async (tx) => {
    const row = await tx.pendingSignIn.findUnique({
      where: { approvalId },
      select: { userId: true, approvalChatId: true, method: true, ip: true, userAgent: true },
    });
    if (!row) return "unknown";
    // Checked before anything else is said: another chat learns nothing about the request.
    const link = await tx.telegramLink.findUnique({
      where: { userId: row.userId },
      select: { chatId: true },
    });
    if (link?.chatId !== chatId || row.approvalChatId !== chatId) return "wrong-chat";

    const approve = input.answer === "approve";
    // The conditions again, in the one statement that answers: of two taps (or a tap racing
    // the link moving away) exactly one changes the row, and only while the chat is linked.
    const { count } = await tx.pendingSignIn.updateMany({
      where: {
        approvalId,
        approval: "WAITING",
        approvalChatId: chatId,
        expiresAt: { gt: now },
        user: { telegramLink: { is: { chatId } } },
      },
      data: { approval: approve ? "APPROVED" : "DENIED", answeredAt: now },
    });
    if (count === 0) {
      const after = await tx.pendingSignIn.findUnique({
        where: { approvalId },
        select: { approval: true, expiresAt: true },
      });
      if (!after) return "unknown";
      if (after.approval !== "WAITING") return "already-answered";
      return after.expiresAt <= now ? "expired" : "wrong-chat";
    }
    if (!approve) {
      await recordSecurityEvent(
        tx,
        {
          userId: row.userId,
          type: "SIGN_IN_DENIED",
          method: row.method,
          detail: "refused from the Telegram chat",
          at: now,
          requestId: input.context?.requestId ?? null,
          // The refused sign-in's own device, which the alert shows, not the bot's.
          ip: row.ip,
          userAgent: row.userAgent,
        },
        { afterRecord: input.afterRecord },
      );
      return "denied";
    }
    return "approved";
  });
}

// ---- the waiting browser -----------------------------------------------------------------

export type ApprovalStatus =
  | "waiting"
  | "approved"
  | "denied"
  | "expired"
  /** No such pending sign-in (finished, cancelled, signed out everywhere, malformed token),
   *  or one that waits for a code rather than the chat. */
  | "gone";

/** Where the browser's pending sign-in stands (reads only: what the waiting page polls). */
export async function approvalStatus(
  db: DbClient,
  token: string | null | undefined,
  now: Date,
): Promise<ApprovalStatus> {
  return (await findApproval(db, token, now))?.status ?? "gone";
}

export interface ApprovalView {
  status: Exclude<ApprovalStatus, "gone">;
  userId: string;
  expiresAt: Date;
  /** The same-origin path the sign-in was headed for. */
  returnTo: string;
  /** The waiting sign-in's own device, as the chat's question describes it. */
  ip: string | null;
  userAgent: string | null;
}

/** The browser's pending sign-in that waits (or waited) for the chat, or null. */
export async function findApproval(
  db: DbClient,
  token: string | null | undefined,
  now: Date,
): Promise<ApprovalView | null> {
  if (typeof token !== "string" || !PENDING_SIGN_IN_TOKEN_PATTERN.test(token)) return null;
  const row = await db.pendingSignIn.findUnique({
    where: { tokenHash: hashPendingSignInToken(token) },
    select: {
      approval: true,
      expiresAt: true,
      userId: true,
      returnTo: true,
      ip: true,
      userAgent: true,
    },
  });
  if (!row?.approval) return null;
  const { approval, ...view } = row;
  // A refusal stays a refusal after the request's time is up.
  if (approval === "DENIED") return { status: "denied", ...view };
  if (row.expiresAt <= now) return { status: "expired", ...view };
  return { status: approval === "APPROVED" ? "approved" : "waiting", ...view };
}

/**
 * Spends an approved pending sign-in: its view for the one caller whose DELETE removed it,
 * null for everyone else (and for a waiting, denied, expired or unknown one).
 */
export async function completeApprovedSignIn(
  db: DbClient,
  token: string | null | undefined,
  now: Date,
): Promise<PendingSignInView | null> {
  if (typeof token !== "string" || !PENDING_SIGN_IN_TOKEN_PATTERN.test(token)) return null;
  const tokenHash = hashPendingSignInToken(token);
  const row = await db.pendingSignIn.findUnique({ where: { tokenHash } });
  if (row?.approval !== "APPROVED" || row.expiresAt <= now) return null;
  // The winner is whoever's DELETE removes the row; an approved row never changes again
  // (the code functions leave approval rows alone), so what was read above is its content.
  const { count } = await db.pendingSignIn.deleteMany({
    where: { tokenHash, approval: "APPROVED", expiresAt: { gt: now } },
  });
  return count === 1 ? pendingSignInView(row) : null;
}

/**
 * "Use your authenticator app instead": the unanswered request of this browser becomes a
 * pending sign-in waiting for a code (pending-sign-in.ts takes it from there, five tries,
 * `codeTtlSeconds` to finish). Only for an account with an authenticator app, only while the
 * request waits or within `codeTtlSeconds` of its expiry (the cookie lives that long), never
 * for one the chat answered. The chat's buttons then find no request ("no longer exists").
 * A press of "Approve" racing this: one conditional UPDATE each, so exactly one wins.
 */
export async function switchApprovalToCode(
  db: DbClient,
  input: { token: string | null | undefined; now: Date; codeTtlSeconds: number },
): Promise<"switched" | "unavailable"> {
  const { token, now, codeTtlSeconds } = input;
  if (typeof token !== "string" || !PENDING_SIGN_IN_TOKEN_PATTERN.test(token)) {
    return "unavailable";
  }
  const tokenHash = hashPendingSignInToken(token);
  const unanswered = {
    tokenHash,
    approval: "WAITING" as const,
    expiresAt: { gt: new Date(now.getTime() - codeTtlSeconds * 1000) },
  };
  const row = await db.pendingSignIn.findFirst({ where: unanswered, select: { userId: true } });
  if (!row || !(await requiresSecondFactor(db, row.userId))) return "unavailable";
  const { count } = await db.pendingSignIn.updateMany({
    where: unanswered,
    data: {
      approval: null,
      approvalId: null,
      approvalChatId: null,
      failedAttempts: 0,
      expiresAt: new Date(now.getTime() + codeTtlSeconds * 1000),
    },
  });
  return count === 1 ? "switched" : "unavailable";
}
