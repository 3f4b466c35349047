import type { Metadata } from "next";
import { redirect } from "next/navigation";

import { AccountSummary } from "@/components/account/account-summary";
import { Activity, type ActivityItem } from "@/components/account/activity";
import { Devices } from "@/components/account/devices";
import { LinkNotices } from "@/components/account/notices";
import { PasswordSection } from "@/components/account/password-section";
import { AccountSection } from "@/components/account/section";
import { SignInMethods } from "@/components/account/sign-in-methods";
import { TelegramSection } from "@/components/account/telegram-section";
import { timeView } from "@/components/account/time";
import type {
  DeviceView,
  IdentityView,
  TelegramConnectionView,
} from "@/components/account/view-models";
import { describeAuthError } from "@/lib/auth/error-messages";
import { searchParam, type SearchParams } from "@/lib/http/search-params";
import { ACCOUNT_EVENT_LIMIT, getAccountOverview } from "@/lib/account/overview";
import { currentSession } from "@/lib/auth";
import { configuredProviders } from "@/lib/auth/providers";
import { PASSWORD_MIN_LENGTH } from "@/lib/auth/schemas";
import { describeDevice, describeEvent } from "@/lib/security/presenter";
import { isOAuthProviderId, methodName, providerDisplayName } from "@/lib/sign-in-methods";
import { getServices } from "@/lib/services";

export const metadata: Metadata = { title: "Your account" };

// Reads the session and the database on every request; never prerendered.
export const dynamic = "force-dynamic";

const SIGN_IN_PATH = "/sign-in?callbackUrl=/account";

// The rules in words, from the constants the server enforces (as on the sign-up page).
const passwordHint = `At least ${PASSWORD_MIN_LENGTH} characters. Spaces and symbols are fine; very common passwords and your email address are refused.`;

const sections = {
  methods: { id: "sign-in-methods", title: "Sign-in methods" },
  password: { id: "password", title: "Password" },
  devices: { id: "devices", title: "Devices" },
  telegram: { id: "telegram", title: "Telegram alerts" },
  activity: { id: "activity", title: "Security activity" },
} as const;

interface AccountPageProps {
  searchParams: Promise<SearchParams>;
}

export default async function AccountPage({ searchParams }: AccountPageProps) {
  // The proxy is a first line only: the page checks the session itself.
  const session = await currentSession();
  if (!session) redirect(SIGN_IN_PATH);

  const { settings, database } = getServices();
  // One clock for the whole page: every "3 minutes ago" is measured from the same moment.
  const now = new Date();
  const overview = await getAccountOverview(database.prisma, {
    userId: session.userId,
    currentSessionId: session.sessionId,
    now,
  });
  if (!overview) redirect(SIGN_IN_PATH);
  const { user, hasPassword } = overview;

  const identities: IdentityView[] = overview.identities.map((identity) => {
    return {
      id: identity.id,
      provider: isOAuthProviderId(identity.provider) ? identity.provider : null,
      providerName: providerDisplayName(identity.provider) ?? "Another provider",
      label: identity.label,
      linkedAt: timeView(identity.linkedAt, now),
    };
  });
  const linkable = configuredProviders(settings.auth).filter(
    (provider) => !overview.identities.some((identity) => identity.provider === provider.id),
  );

  const devices: DeviceView[] = overview.sessions
    .map((row) => ({
      id: row.id,
      device: describeDevice(row.userAgent),
      method: methodName(row.method),
      ip: row.ip,
      signedIn: timeView(row.createdAt, now),
      lastSeen: timeView(row.lastSeenAt, now),
      current: row.current,
    }))
    // This device first; the rest stay newest sign-in first.
    .sort((a, b) => Number(b.current) - Number(a.current));

  // Only when a bot is configured: without one there is nothing to connect to. Just its
  // username and the link lifetime go to the browser: these settings hold the bot token too.
  const { telegram: bot } = settings;
  const telegram: TelegramConnectionView | null = overview.telegram
    ? { username: overview.telegram.username, linkedAt: timeView(overview.telegram.linkedAt, now) }
    : null;

  const activity: ActivityItem[] = overview.events.map((event) => {
    const described = describeEvent(event, now);
    return {
      id: event.id,
      title: described.title,
      warning: event.type === "SIGN_IN_FAILED" || event.type === "PASSWORD_REMOVED",
      device: described.device,
      ip: described.ip,
      when: timeView(event.createdAt, now),
    };
  });

  // Where a linking flow ended. Only our own words are shown, never the raw parameters:
  // `linked` must name a known provider that really is linked now.
  const params = await searchParams;
  const linkedId = searchParam(params, "linked");
  const linkedName = overview.identities.some((identity) => identity.provider === linkedId)
    ? providerDisplayName(linkedId)
    : null;
  const rawError = searchParam(params, "error");
  const linkError =
    rawError === undefined ? null : describeAuthError(rawError, searchParam(params, "provider"));

  const shown = [
    sections.methods,
    ...(settings.auth.passwordEnabled ? [sections.password] : []),
    sections.devices,
    ...(bot ? [sections.telegram] : []),
    sections.activity,
  ];

  return (
    <div className="mx-auto w-full max-w-page px-5 py-12 sm:px-8 sm:py-16">
      <div className="grid gap-12 lg:grid-cols-[17rem_minmax(0,1fr)] lg:gap-14">
        <AccountSummary
          name={user.name}
          email={user.email}
          emailVerified={user.emailVerified}
          sections={shown}
        />

        <div className="grid max-w-3xl min-w-0 gap-16">
          <AccountSection
            id={sections.methods.id}
            title={sections.methods.title}
            description="The ways you can sign in to this account."
          >
            <LinkNotices linkedName={linkedName} error={linkError} />
            <SignInMethods
              sectionId={sections.methods.id}
              identities={identities}
              password={hasPassword ? { email: user.email } : null}
              linkable={linkable}
            />
          </AccountSection>

          {settings.auth.passwordEnabled ? (
            <AccountSection id={sections.password.id} title={sections.password.title}>
              <PasswordSection
                sectionId={sections.password.id}
                hasPassword={hasPassword}
                email={user.email}
                passwordHint={passwordHint}
              />
            </AccountSection>
          ) : null}

          <AccountSection
            id={sections.devices.id}
            title={sections.devices.title}
            description="Where your account is signed in right now. Sign out any device you do not recognise."
          >
            <Devices sectionId={sections.devices.id} devices={devices} />
          </AccountSection>

          {bot ? (
            <AccountSection
              id={sections.telegram.id}
              title={sections.telegram.title}
              description="Get a Telegram message for every sign-in, with a button to sign out everywhere if it wasn't you."
            >
              <TelegramSection
                sectionId={sections.telegram.id}
                botUsername={bot.botUsername}
                linkTokenTtlSeconds={bot.linkTokenTtlSeconds}
                connection={telegram}
              />
            </AccountSection>
          ) : null}

          <AccountSection
            id={sections.activity.id}
            title={sections.activity.title}
            description={`Sign-ins and changes to your account, newest first (the latest ${ACCOUNT_EVENT_LIMIT}).`}
          >
            <Activity items={activity} />
          </AccountSection>
        </div>
      </div>
    </div>
  );
}
