// The account page's presenter (lib/account/presenter.ts): the overview in the words and
// order the sections show, every time against one `now`.
import { describe, expect, it } from "vitest";

import type { AccountOverview } from "@/lib/account/overview";
import {
  presentAccount,
  presentActivity,
  presentLinkNotices,
  presentTwoStep,
  presentPasskeys,
  timeView,
} from "@/lib/account/presenter";
import { totpLabels } from "@/lib/account/two-step";
import { describeAuthError } from "@/lib/auth/error-messages";

const now = new Date("2026-06-01T10:00:00.000Z");
const minutesAgo = (minutes: number) => new Date(now.getTime() - minutes * 60_000);

const CHROME_ANDROID =
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36";

function overview(overrides: Partial<AccountOverview> = {}): AccountOverview {
  return {
    user: {
      id: "user-1",
      name: "Ada",
      email: "ada@example.com",
      emailVerified: true,
      createdAt: minutesAgo(60 * 24 * 400),
    },
    hasPassword: false,
    telegram: null,
    identities: [],
    passkeys: [],
    sessions: [],
    events: [],
    failedAttempts: [],
    secondFactor: { totp: null, recoveryCodesLeft: 0 },
    ...overrides,
  };
}

const allProviders = [
  { id: "google", name: "Google" },
  { id: "github", name: "GitHub" },
  { id: "stackoverflow", name: "Stack Overflow" },
] as const;

describe("timeView", () => {
  it("gives the moment relative to now, exactly in UTC, and as ISO", () => {
    expect(timeView(minutesAgo(3), now)).toEqual({
      iso: "2026-06-01T09:57:00.000Z",
      relative: "3 minutes ago",
      absolute: "1 Jun 2026, 09:57 UTC",
    });
  });

  it("leaves the exact values empty for an invalid date instead of throwing", () => {
    expect(timeView(new Date(Number.NaN), now)).toEqual({
      iso: "",
      relative: "at an unknown time",
      absolute: "",
    });
  });
});

describe("presentAccount", () => {
  it("names linked identities, an unknown provider generically, and offers only the providers not linked", () => {
    const view = presentAccount(
      overview({
        identities: [
          {
            id: "acc-1",
            provider: "github",
            label: "ada-gh",
            linkedAt: minutesAgo(120),
            alertsChat: false,
          },
          {
            id: "acc-2",
            provider: "retired-idp",
            label: null,
            linkedAt: minutesAgo(5),
            alertsChat: false,
          },
          {
            id: "acc-3",
            provider: "telegram",
            label: "@ada",
            linkedAt: minutesAgo(3),
            alertsChat: true,
          },
        ],
      }),
      { now, providers: allProviders },
    );
    expect(view.identities).toEqual([
      {
        id: "acc-1",
        provider: "github",
        providerName: "GitHub",
        label: "ada-gh",
        linkedAt: timeView(minutesAgo(120), now),
        alertsChat: false,
      },
      {
        id: "acc-2",
        provider: null,
        providerName: "Another provider",
        label: null,
        linkedAt: timeView(minutesAgo(5), now),
        alertsChat: false,
      },
      {
        id: "acc-3",
        provider: "telegram",
        providerName: "Telegram",
        label: "@ada",
        linkedAt: timeView(minutesAgo(3), now),
        alertsChat: true,
      },
    ]);
    expect(view.linkable).toEqual([
      { id: "google", name: "Google" },
      { id: "stackoverflow", name: "Stack Overflow" },
    ]);
  });

  it("lists this device first and the others in the overview's order, each in words", () => {
    const session = (id: string, current: boolean, minutes: number) => ({
      id,
      method: "github",
      ip: "203.0.113.5",
      userAgent: CHROME_ANDROID,
      createdAt: minutesAgo(minutes),
      lastSeenAt: minutesAgo(1),
      expires: new Date(now.getTime() + 86_400_000),
      current,
    });
    const view = presentAccount(
      overview({
        sessions: [
          session("s-new", false, 10),
          session("s-me", true, 20),
          session("s-old", false, 30),
        ],
      }),
      { now, providers: [] },
    );
    expect(view.devices.map((device) => device.id)).toEqual(["s-me", "s-new", "s-old"]);
    expect(view.devices[0]).toEqual({
      id: "s-me",
      device: "Chrome on Android",
      method: "GitHub",
      ip: "203.0.113.5",
      signedIn: timeView(minutesAgo(20), now),
      lastSeen: timeView(minutesAgo(1), now),
      current: true,
    });
  });

  it("shows the Telegram chat only when one is connected, and whether it approves sign-ins", () => {
    expect(presentAccount(overview(), { now, providers: [] }).telegram).toBeNull();
    const linkedAt = minutesAgo(90);
    for (const approveSignIns of [false, true]) {
      expect(
        presentAccount(overview({ telegram: { username: "ada", linkedAt, approveSignIns } }), {
          now,
          providers: [],
        }).telegram,
      ).toEqual({ username: "ada", linkedAt: timeView(linkedAt, now), approveSignIns });
    }
  });

  it("words the security activity and flags failed sign-ins, a removed password, a second factor turned off and sign-in approval turned off", () => {
    const event = (id: string, type: AccountOverview["events"][number]["type"]) => ({
      id,
      type,
      method: "github",
      ip: " 203.0.113.5 ",
      userAgent: type === "PASSWORD_REMOVED" ? null : CHROME_ANDROID,
      detail: null,
      createdAt: minutesAgo(3),
    });
    const view = presentAccount(
      overview({
        events: [
          event("e1", "SIGN_IN"),
          event("e2", "SIGN_IN_FAILED"),
          event("e3", "PASSWORD_REMOVED"),
          event("e4", "TOTP_DISABLED"),
          event("e5", "TOTP_ENABLED"),
          event("e6", "SIGN_IN_APPROVAL_OFF"),
          event("e7", "SIGN_IN_APPROVAL_ON"),
          event("e8", "SIGN_IN_DENIED"),
          event("e9", "SECOND_FACTOR_FAILED"),
        ],
      }),
      { now, providers: [] },
    );
    expect(view.activity).toEqual([
      {
        kind: "event",
        id: "e1",
        title: "Signed in with GitHub",
        warning: false,
        device: "Chrome on Android",
        ip: "203.0.113.5",
        when: timeView(minutesAgo(3), now),
      },
      {
        kind: "event",
        id: "e2",
        title: "Sign-in failed with GitHub",
        warning: true,
        device: "Chrome on Android",
        ip: "203.0.113.5",
        when: timeView(minutesAgo(3), now),
      },
      {
        kind: "event",
        id: "e3",
        title: "Password removed",
        warning: true,
        device: null,
        ip: "203.0.113.5",
        when: timeView(minutesAgo(3), now),
      },
      {
        kind: "event",
        id: "e4",
        title: "Two-step verification turned off",
        warning: true,
        device: "Chrome on Android",
        ip: "203.0.113.5",
        when: timeView(minutesAgo(3), now),
      },
      {
        kind: "event",
        id: "e5",
        title: "Two-step verification turned on",
        warning: false,
        device: "Chrome on Android",
        ip: "203.0.113.5",
        when: timeView(minutesAgo(3), now),
      },
      {
        kind: "event",
        id: "e6",
        title: "Sign-in approval from Telegram turned off",
        warning: true,
        device: "Chrome on Android",
        ip: "203.0.113.5",
        when: timeView(minutesAgo(3), now),
      },
      {
        kind: "event",
        id: "e7",
        title: "Sign-in approval from Telegram turned on",
        warning: false,
        device: "Chrome on Android",
        ip: "203.0.113.5",
        when: timeView(minutesAgo(3), now),
      },
      {
        kind: "event",
        id: "e8",
        title: "Sign-in refused from Telegram with GitHub",
        warning: true,
        device: "Chrome on Android",
        ip: "203.0.113.5",
        when: timeView(minutesAgo(3), now),
      },
      {
        kind: "event",
        id: "e9",
        title: "Wrong two-step verification code at sign-in",
        warning: true,
        device: "Chrome on Android",
        ip: "203.0.113.5",
        when: timeView(minutesAgo(3), now),
      },
    ]);
  });
});

describe("presentActivity", () => {
  const LINUX_CHROME =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
  const signIn = (id: string, minutes: number) => ({
    id,
    type: "SIGN_IN" as const,
    method: "github",
    ip: "198.51.100.7",
    userAgent: CHROME_ANDROID,
    detail: null,
    createdAt: minutesAgo(minutes),
  });
  const run = (id: string, minutes: number, attempts: number, addresses: number) => ({
    id,
    attempts,
    countCapped: false,
    addresses,
    last: { ip: "203.0.113.5", userAgent: LINUX_CHROME, createdAt: minutesAgo(minutes) },
  });

  it("puts each run of failed attempts between the events it fell between, newest first", () => {
    const items = presentActivity(
      {
        events: [signIn("s2", 10), signIn("s1", 120)],
        failedAttempts: [run("f2", 5, 12, 3), run("f1", 60, 4, 1)],
      },
      now,
    );
    expect(items.map((item) => item.id)).toEqual(["f2", "s2", "f1", "s1"]);
    expect(items[0]).toEqual({
      kind: "failed-attempts",
      id: "f2",
      title: "12 failed password attempts",
      sources: "from 3 addresses",
      when: timeView(minutesAgo(5), now),
    });
    expect(items[2]).toMatchObject({
      kind: "failed-attempts",
      title: "4 failed password attempts",
      sources: "from 1 address",
    });
  });

  it("words a single failed attempt like any other event", () => {
    expect(presentActivity({ events: [], failedAttempts: [run("f1", 3, 1, 1)] }, now)).toEqual([
      {
        kind: "event",
        id: "f1",
        title: "Failed password attempt",
        warning: true,
        device: "Chrome on Linux",
        ip: "203.0.113.5",
        when: timeView(minutesAgo(3), now),
      },
    ]);
  });

  it("leaves out the browser and address of a single attempt when asked (an unproven email)", () => {
    const [item] = presentActivity({ events: [], failedAttempts: [run("f1", 3, 1, 1)] }, now, {
      attemptDetails: false,
    });
    expect(item).toMatchObject({ kind: "event", title: "Failed password attempt" });
    expect(item).toMatchObject({ device: null, ip: null });
  });

  it("orders an event and a run made in the same millisecond by id, as the query does", () => {
    const items = presentActivity(
      { events: [signIn("b", 1)], failedAttempts: [run("c", 1, 2, 1), run("a", 1, 2, 1)] },
      now,
    );
    expect(items.map((item) => item.id)).toEqual(["c", "b", "a"]);
  });
});

describe("presentLinkNotices", () => {
  const linkedGitHub = overview({
    identities: [
      { id: "acc-1", provider: "github", label: null, linkedAt: minutesAgo(1), alertsChat: false },
    ],
  });

  it("says nothing without parameters", () => {
    expect(presentLinkNotices(linkedGitHub, {})).toEqual({ linkedName: null, error: null });
  });

  it("names a provider only when it really is linked now", () => {
    expect(presentLinkNotices(linkedGitHub, { linked: "github" }).linkedName).toBe("GitHub");
    expect(presentLinkNotices(linkedGitHub, { linked: "google" }).linkedName).toBeNull();
    expect(presentLinkNotices(linkedGitHub, { linked: "<b>hi</b>" }).linkedName).toBeNull();
  });

  it("turns an error code into the fixed copy, an unknown one into the generic copy", () => {
    expect(
      presentLinkNotices(linkedGitHub, { error: "IdentityLinkedElsewhere", provider: "github" })
        .error,
    ).toEqual(describeAuthError("IdentityLinkedElsewhere", "github"));
    const unknown = presentLinkNotices(linkedGitHub, { error: "<script>", provider: "evil" });
    expect(unknown.error).toEqual(describeAuthError("Default"));
    expect(JSON.stringify(unknown)).not.toContain("script");
    expect(JSON.stringify(unknown)).not.toContain("evil");
  });
});

describe("presentTwoStep", () => {
  const enrolment = {
    secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
    uri: "otpauth://totp/Gatehouse:ada%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
    qrSvg: '<svg xmlns="http://www.w3.org/2000/svg"><rect/><path/></svg>',
  };
  const pending = { totp: { confirmedAt: null }, recoveryCodesLeft: 0 };

  it("is off without an authenticator app", () => {
    expect(
      presentTwoStep({ totp: null, recoveryCodesLeft: 0 }, { now, enrolment: null, recent: true }),
    ).toEqual({ state: "off" });
  });

  it("shows a pending key, in groups of four, to a recent sign-in only", () => {
    expect(presentTwoStep(pending, { now, enrolment, recent: true })).toEqual({
      state: "pending",
      enrolment: {
        key: enrolment.secret,
        keyGroups: ["JBSW", "Y3DP", "EHPK", "3PXP", "JBSW", "Y3DP", "EHPK", "3PXP"],
        qrSvg: enrolment.qrSvg,
      },
    });
    // Not recent: the set-up is there, its key is not (the page does not even read it).
    expect(presentTwoStep(pending, { now, enrolment: null, recent: false })).toEqual({
      state: "pending",
      enrolment: null,
    });
    expect(
      JSON.stringify(presentTwoStep(pending, { now, enrolment, recent: false })),
    ).not.toContain(enrolment.secret);
  });

  it("treats a pending key that no longer opens as off: starting again replaces it", () => {
    expect(presentTwoStep(pending, { now, enrolment: null, recent: true })).toEqual({
      state: "off",
    });
  });

  it("says since when it is on (a date, in UTC) and how many recovery codes are left", () => {
    const confirmedAt = new Date("2026-03-12T23:30:00.000Z");
    expect(
      presentTwoStep(
        { totp: { confirmedAt }, recoveryCodesLeft: 3 },
        // A pending enrolment cannot coexist with a confirmed one; it would be ignored.
        { now, enrolment, recent: false },
      ),
    ).toEqual({
      state: "on",
      since: timeView(confirmedAt, now),
      sinceDate: "12 Mar 2026",
      recoveryCodesLeft: 3,
      recoveryCodeCount: 10,
    });
  });
});

describe("totpLabels", () => {
  it("names the site, and the account by its email, else its name, else generically", () => {
    expect(totpLabels({ email: "ada@example.com", name: "Ada" })).toEqual({
      issuer: "Gatehouse",
      accountLabel: "ada@example.com",
    });
    expect(totpLabels({ email: null, name: "  Ada Lovelace " }).accountLabel).toBe("Ada Lovelace");
    expect(totpLabels({ email: null, name: "   " }).accountLabel).toBe("Gatehouse account");
    expect(totpLabels({ email: null, name: null }).accountLabel).toBe("Gatehouse account");
    expect(totpLabels({ email: null, name: "x".repeat(400) }).accountLabel).toHaveLength(254);
  });
});

describe("presentPasskeys", () => {
  const base = {
    credentialId: "cred",
    createdAt: new Date("2026-03-02T23:30:00.000Z"),
  };
  it("names each with the day it was added, when it was last used, and its backup state", () => {
    expect(
      presentPasskeys(
        [
          {
            ...base,
            id: "p1",
            name: "Phone",
            deviceType: "multi-device",
            backedUp: true,
            lastUsedAt: minutesAgo(3),
          },
          {
            ...base,
            id: "p2",
            name: "YubiKey",
            deviceType: "single-device",
            backedUp: false,
            lastUsedAt: null,
          },
          {
            ...base,
            id: "p3",
            name: "Laptop",
            deviceType: "multi-device",
            backedUp: false,
            lastUsedAt: null,
          },
        ],
        now,
      ).map(({ id, addedOn, lastUsed, backup }) => ({
        id,
        addedOn,
        lastUsed: lastUsed?.relative ?? null,
        backup,
      })),
    ).toEqual([
      { id: "p1", addedOn: "2 Mar 2026", lastUsed: "3 minutes ago", backup: "synced" },
      { id: "p2", addedOn: "2 Mar 2026", lastUsed: null, backup: "device-bound" },
      { id: "p3", addedOn: "2 Mar 2026", lastUsed: null, backup: "not-backed-up" },
    ]);
  });
});
