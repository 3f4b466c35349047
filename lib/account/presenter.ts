// The account page's presenter: turns what the page read (lib/account/overview.ts) into the
// view models its sections render (lib/account/view-models.ts). Every moment is put into
// words against the page's one `now`, devices and events are named by the security
// presenter (lib/security/presenter.ts), and the current device comes first. Pure: the page
// passes everything in, so tests need no database, no request and no fake timers.
import type { AccountEvent, AccountOverview, FailedAttemptRun } from "@/lib/account/overview";
import type {
  ActivityEventItem,
  ActivityItem,
  DeviceView,
  IdentityView,
  PasskeyView,
  ProviderChoice,
  TelegramConnectionView,
  TimeView,
  TwoStepView,
} from "@/lib/account/view-models";
import { describeAuthError, type AuthErrorCopy } from "@/lib/auth/error-messages";
import { PASSWORD_PROVIDER_ID } from "@/lib/auth/constants";
import { RECOVERY_CODE_COUNT, type TotpEnrolment } from "@/lib/auth/second-factor";
import {
  describeDevice,
  describeEvent,
  describeFailedAttempts,
  relativeTime,
} from "@/lib/security/presenter";
import { isOAuthProviderId, methodName, providerDisplayName } from "@/lib/sign-in-methods";

// UTC, said so: the server does not know the reader's time zone, and a tooltip that names
// its zone is never wrong, while a guessed local time would be, for half the world.
const absoluteFormat = new Intl.DateTimeFormat("en-GB", {
  dateStyle: "medium",
  timeStyle: "short",
  timeZone: "UTC",
});

const dateFormat = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeZone: "UTC" });

/** `at` in words relative to `now`, with its exact value for `<time>`. */
export function timeView(at: Date, now: Date): TimeView {
  const valid = !Number.isNaN(at.getTime());
  return {
    iso: valid ? at.toISOString() : "",
    relative: relativeTime(at, now),
    absolute: valid ? `${absoluteFormat.format(at)} UTC` : "",
  };
}

const dayFormat = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeZone: "UTC" });

/** The account's passkeys as the Passkeys section lists them, oldest first. */
export function presentPasskeys(passkeys: AccountOverview["passkeys"], now: Date): PasskeyView[] {
  return passkeys.map((passkey) => ({
    id: passkey.id,
    name: passkey.name,
    addedOn: dayFormat.format(passkey.createdAt),
    addedAt: timeView(passkey.createdAt, now),
    lastUsed: passkey.lastUsedAt ? timeView(passkey.lastUsedAt, now) : null,
    backup:
      passkey.deviceType === "single-device"
        ? "device-bound"
        : passkey.backedUp
          ? "synced"
          : "not-backed-up",
  }));
}

export interface AccountView {
  identities: IdentityView[];
  passkeys: PasskeyView[];
  /** Configured providers not linked yet, in the order they were given. */
  linkable: ProviderChoice[];
  /** The current device first; the rest newest sign-in first. */
  devices: DeviceView[];
  telegram: TelegramConnectionView | null;
  activity: ActivityItem[];
}

/**
 * The account page's sections, from its overview. `providers` are the sign-in providers
 * this site has configured (configuredProviders): the ones not linked yet can be added.
 */
export function presentAccount(
  overview: AccountOverview,
  { now, providers }: { now: Date; providers: readonly ProviderChoice[] },
): AccountView {
  const linked = new Set(overview.identities.map((identity) => identity.provider));
  return {
    identities: overview.identities.map((identity) => ({
      id: identity.id,
      provider: isOAuthProviderId(identity.provider) ? identity.provider : null,
      providerName: providerDisplayName(identity.provider) ?? "Another provider",
      label: identity.label,
      linkedAt: timeView(identity.linkedAt, now),
      alertsChat: identity.alertsChat,
    })),
    linkable: providers.filter((provider) => !linked.has(provider.id)),
    passkeys: presentPasskeys(overview.passkeys, now),
    devices: overview.sessions
      .map((row) => ({
        id: row.id,
        device: describeDevice(row.userAgent),
        method: methodName(row.method),
        ip: row.ip,
        signedIn: timeView(row.createdAt, now),
        lastSeen: timeView(row.lastSeenAt, now),
        current: row.current,
      }))
      // This device first; the rest keep the overview's order (newest sign-in first).
      .sort((a, b) => Number(b.current) - Number(a.current)),
    telegram: overview.telegram
      ? {
          username: overview.telegram.username,
          linkedAt: timeView(overview.telegram.linkedAt, now),
          approveSignIns: overview.telegram.approveSignIns,
        }
      : null,
    activity: presentActivity(overview, now, {
      // Until the address is proven, the account may be a squatter's (docs/sign-in.md, the
      // claim rule), and the attempts on it the real owner's: their browser and address are
      // not the squatter's to see.
      attemptDetails: overview.user.emailVerified,
    }),
  };
}

/**
 * The events and the runs of failed password attempts between them, in one list, newest
 * first. A run of one reads like any event ("Failed password attempt — Chrome on Linux —
 * 203.0.113.5 — 3 minutes ago"); longer runs are one line each.
 */
export function presentActivity(
  overview: Pick<AccountOverview, "events" | "failedAttempts">,
  now: Date,
  { attemptDetails = true }: { attemptDetails?: boolean } = {},
): ActivityItem[] {
  // Both lists come newest first; merging keeps each one's own order and puts every run
  // where the query found it (ties by id, descending, as the query sorts).
  const items: ActivityItem[] = [];
  const runs = [...overview.failedAttempts];
  for (const event of overview.events) {
    while (runs[0] && isNewer(runs[0].last.createdAt, runs[0].id, event.createdAt, event.id)) {
      items.push(runItem(runs[0], now, attemptDetails));
      runs.shift();
    }
    items.push(eventItem(event, now));
  }
  return [...items, ...runs.map((run) => runItem(run, now, attemptDetails))];
}

function isNewer(at: Date, id: string, thanAt: Date, thanId: string): boolean {
  const difference = at.getTime() - thanAt.getTime();
  return difference > 0 || (difference === 0 && id > thanId);
}

function eventItem(event: AccountEvent, now: Date): ActivityEventItem {
  const described = describeEvent(event, now);
  return {
    kind: "event",
    id: event.id,
    title: described.title,
    // Failures (a sign-in refused: a wrong password, a wrong code, "Deny" in Telegram), and
    // protection taken away (a password, the second factor, approving sign-ins from Telegram).
    warning:
      event.type === "SIGN_IN_FAILED" ||
      event.type === "SECOND_FACTOR_FAILED" ||
      event.type === "SIGN_IN_DENIED" ||
      event.type === "PASSWORD_REMOVED" ||
      event.type === "TOTP_DISABLED" ||
      event.type === "SIGN_IN_APPROVAL_OFF",
    device: described.device,
    ip: described.ip,
    when: timeView(event.createdAt, now),
  };
}

/** `details`: false leaves out the browser and address a single attempt came from. */
function runItem(run: FailedAttemptRun, now: Date, details: boolean): ActivityItem {
  if (run.attempts === 1 && !run.countCapped) {
    const item = eventItem(
      {
        id: run.id,
        type: "SIGN_IN_FAILED",
        method: PASSWORD_PROVIDER_ID,
        detail: null,
        ...run.last,
      },
      now,
    );
    return details ? item : { ...item, device: null, ip: null };
  }
  const described = describeFailedAttempts({ ...run, last: run.last.createdAt }, now);
  return {
    kind: "failed-attempts",
    id: run.id,
    title: described.title,
    sources: described.sources,
    when: timeView(run.last.createdAt, now),
  };
}

/** What the end of a linking flow left in the query string, in our own words. */
export interface LinkNoticesView {
  /** Display name of a provider that is now linked. */
  linkedName: string | null;
  error: AuthErrorCopy | null;
}

/**
 * `?linked=github` or `?error=IdentityLinkedElsewhere&provider=github`, as the page read
 * them. Only our own words come out, never the raw parameters: `linked` must name a known
 * provider that really is linked now, and an error code is looked up in the fixed copy.
 */
export function presentLinkNotices(
  overview: Pick<AccountOverview, "identities">,
  query: { linked?: string; error?: string; provider?: string },
): LinkNoticesView {
  const isLinked = overview.identities.some((identity) => identity.provider === query.linked);
  return {
    linkedName: isLinked ? providerDisplayName(query.linked) : null,
    error: query.error === undefined ? null : describeAuthError(query.error, query.provider),
  };
}

/**
 * The "Two-step verification" section. `enrolment` is the pending key as the server read it
 * back (null: nothing pending, or a key that no longer opens, which starting again
 * replaces); `recent` says whether this sign-in may see it.
 */
export function presentTwoStep(
  secondFactor: AccountOverview["secondFactor"],
  { now, enrolment, recent }: { now: Date; enrolment: TotpEnrolment | null; recent: boolean },
): TwoStepView {
  const { totp } = secondFactor;
  if (totp?.confirmedAt) {
    return {
      state: "on",
      since: timeView(totp.confirmedAt, now),
      sinceDate: dateFormat.format(totp.confirmedAt),
      recoveryCodesLeft: secondFactor.recoveryCodesLeft,
      recoveryCodeCount: RECOVERY_CODE_COUNT,
    };
  }
  if (!totp) return { state: "off" };
  if (!recent) return { state: "pending", enrolment: null };
  if (!enrolment) return { state: "off" };
  return {
    state: "pending",
    enrolment: {
      key: enrolment.secret,
      keyGroups: enrolment.secret.match(/.{1,4}/g) ?? [],
      qrSvg: enrolment.qrSvg,
    },
  };
}
