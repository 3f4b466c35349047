// What the account page's sections receive: plain, serialisable values, every time already
// put into words against the one `now` the page computed. Client components get these as
// props, so they never parse user agents or format dates themselves (no hydration drift).
// Made by the account presenter (lib/account/presenter.ts); types only, so a client
// component importing them pulls nothing of lib/ into the browser.
import type { OAuthProviderId } from "@/lib/sign-in-methods";

/** One moment, ready for `<time dateTime={iso} title={absolute}>{relative}</time>`. */
export interface TimeView {
  iso: string;
  /** "3 minutes ago", "yesterday" … */
  relative: string;
  /** "12 Mar 2026, 14:03 UTC": the exact moment, for the tooltip. */
  absolute: string;
}

export interface IdentityView {
  /** The Account row's id (what unlinkIdentityAction takes). */
  id: string;
  /** Null for a provider this site no longer knows (still listed, still removable). */
  provider: OAuthProviderId | null;
  /** "GitHub"; "Another provider" when unknown. */
  providerName: string;
  /** The provider account's name or email, as the provider gave it. */
  label: string | null;
  linkedAt: TimeView;
  /** Telegram, whose chat gets the alerts: unlinking asks whether to keep them. */
  alertsChat: boolean;
}

/** One of the account's passkeys. */
export interface PasskeyView {
  /** The Passkey row's id (what renamePasskeyAction and removePasskeyAction take). */
  id: string;
  name: string;
  /** "2 Dec 2026": the day it was added (UTC). */
  addedOn: string;
  addedAt: TimeView;
  /** Null until it first signs in. */
  lastUsed: TimeView | null;
  /**
   * "synced": may be on other devices and is backed up (survives losing this one);
   * "not-backed-up": may sync but is not backed up yet; "device-bound": on one device only.
   */
  backup: "synced" | "not-backed-up" | "device-bound";
}

export interface DeviceView {
  /** The Session row's id (what revokeSessionAction takes). */
  id: string;
  /** "Chrome on Android", "Unknown device" … */
  device: string;
  /** "GitHub", "email and password"; null when unknown. */
  method: string | null;
  ip: string | null;
  signedIn: TimeView;
  lastSeen: TimeView;
  /** The browser looking at the page. */
  current: boolean;
}

export interface ProviderChoice {
  id: OAuthProviderId;
  name: string;
}

/** The Telegram chat that gets sign-in alerts. */
export interface TelegramConnectionView {
  /** The chat's Telegram username, without the "@"; null when it has none. */
  username: string | null;
  linkedAt: TimeView;
  /** Sign-ins from a browser new to the account wait for this chat's Approve or Deny. */
  approveSignIns: boolean;
}

/** One line of the security activity: an event, or a run of failed password attempts. */
export type ActivityItem = ActivityEventItem | FailedAttemptsItem;

/** "Signed in with GitHub — Chrome on Android — 203.0.113.5 — 3 minutes ago" */
export interface ActivityEventItem {
  kind: "event";
  id: string;
  /** "Signed in with GitHub" */
  title: string;
  /** Worth a second look: a failed sign-in, a removed password … */
  warning: boolean;
  device: string | null;
  ip: string | null;
  when: TimeView;
}

/** "12 failed password attempts from 3 addresses, the last one 5 minutes ago" */
export interface FailedAttemptsItem {
  kind: "failed-attempts";
  /** The latest attempt's event id. */
  id: string;
  /** "12 failed password attempts" */
  title: string;
  /** "from 3 addresses"; null when no address was recorded. */
  sources: string | null;
  /** The latest attempt. */
  when: TimeView;
}

/** The "Two-step verification" section, in one of its three states. */
export type TwoStepView =
  | { state: "off" }
  /**
   * Set-up started, waiting for the first code. `enrolment` is null while the sign-in is not
   * recent: the key is shown only to someone who has just proved who they are.
   */
  | { state: "pending"; enrolment: TotpEnrolmentView | null }
  | {
      state: "on";
      since: TimeView;
      /** "1 Jun 2026" (UTC, like every absolute time on the page). */
      sinceDate: string;
      recoveryCodesLeft: number;
      /** How many a fresh set has (10). */
      recoveryCodeCount: number;
    };

/** What the person adds to their authenticator app. */
export interface TotpEnrolmentView {
  /** The key, base32, in one piece (what "Copy key" copies). */
  key: string;
  /** The same key in groups of four, for reading it off the screen and typing it. */
  keyGroups: string[];
  /** The QR code as <svg> markup, drawn on the server (lib/auth/second-factor/qr-svg.ts). */
  qrSvg: string;
}
