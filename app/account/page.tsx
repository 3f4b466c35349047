import type { Metadata } from "next";
import { redirect } from "next/navigation";

import { AccountSummary } from "@/components/account/account-summary";
import { Activity } from "@/components/account/activity";
import { Devices } from "@/components/account/devices";
import { EmailChange } from "@/components/account/email-change";
import { LinkNotices } from "@/components/account/notices";
import { Passkeys } from "@/components/account/passkeys";
import { PasswordSection } from "@/components/account/password-section";
import { ResendVerification } from "@/components/account/resend-verification";
import { AccountSection } from "@/components/account/section";
import { SignInMethods } from "@/components/account/sign-in-methods";
import { TelegramSection } from "@/components/account/telegram-section";
import { TwoStepSection } from "@/components/account/two-step-section";
import { ACCOUNT_EVENT_LIMIT, getAccountOverview, sqlAccountReader } from "@/lib/account/overview";
import { presentAccount, presentLinkNotices, presentTwoStep } from "@/lib/account/presenter";
import { totpLabels } from "@/lib/account/two-step";
import { ACCOUNT_PATH } from "@/lib/auth/constants";
import { passkeyRelyingParty } from "@/lib/auth/passkey-ceremony";
import { configuredProviders } from "@/lib/auth/providers";
import { isRecentSignIn, reauthenticationPath } from "@/lib/auth/recent-sign-in";
import { PASSWORD_HINT } from "@/lib/auth/schemas";
import { pendingTotpEnrolment } from "@/lib/auth/second-factor";
import { searchParam, type SearchParams } from "@/lib/http/search-params";
import { getServices } from "@/lib/root";
import { currentPageSession } from "@/lib/root/auth";

export const metadata: Metadata = { title: "Your account" };

// Reads the session and the database on every request; never prerendered.
export const dynamic = "force-dynamic";

const SIGN_IN_PATH = "/sign-in?callbackUrl=/account";

const sections = {
  methods: { id: "sign-in-methods", title: "Sign-in methods" },
  passkeys: { id: "passkeys", title: "Passkeys" },
  password: { id: "password", title: "Password" },
  twoStep: { id: "two-step", title: "Two-step verification" },
  devices: { id: "devices", title: "Devices" },
  telegram: { id: "telegram", title: "Telegram alerts" },
  activity: { id: "activity", title: "Security activity" },
} as const;

interface AccountPageProps {
  searchParams: Promise<SearchParams>;
}

export default async function AccountPage({ searchParams }: AccountPageProps) {
  // The proxy is a first line only: the page checks the session itself.
  const session = await currentPageSession();
  if (!session) redirect(SIGN_IN_PATH);

  const { settings, database, secondFactorKeys } = getServices();
  // One clock for the whole page: every "3 minutes ago" is measured from the same moment.
  const now = new Date();
  const overview = await getAccountOverview(database.prisma, {
    userId: session.userId,
    currentSessionId: session.sessionId,
    now,
    // One prepared statement on the driver instead of Prisma's eight (lib/account/overview.ts).
    reader: sqlAccountReader(database.sql),
  });
  if (!overview) redirect(SIGN_IN_PATH);
  const { user, hasPassword } = overview;
  const { identities, linkable, passkeys, devices, telegram, activity } = presentAccount(overview, {
    now,
    providers: configuredProviders(settings.auth),
  });
  // Where a linking flow ended; the presenter turns it into our own words.
  const params = await searchParams;
  const { linkedName, error: linkError } = presentLinkNotices(overview, {
    linked: searchParam(params, "linked"),
    error: searchParam(params, "error"),
    provider: searchParam(params, "provider"),
  });
  // The pending key is read back and drawn here, on the server, and only for a sign-in
  // recent enough to be trusted with it (the actions that change it need one too).
  const recent = isRecentSignIn(session.authTime, now, settings.auth.recentSignInMaxAgeSeconds);
  const labels = totpLabels(user);
  const pendingTotp = overview.secondFactor.totp && !overview.secondFactor.totp.confirmedAt;
  const enrolment =
    pendingTotp && recent
      ? await pendingTotpEnrolment(database.prisma, {
          userId: user.id,
          keys: secondFactorKeys,
          ...labels,
        })
      : null;
  const twoStep = presentTwoStep(overview.secondFactor, { now, enrolment, recent });
  // Only when a bot is configured: without one there is nothing to connect to. Just its
  // username and the link lifetime go to the browser: these settings hold the bot token too.
  const { telegram: bot } = settings;

  const shown = [
    sections.methods,
    sections.passkeys,
    ...(settings.auth.passwordEnabled ? [sections.password] : []),
    sections.twoStep,
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
          emailAction={settings.mail ? <EmailChange email={user.email} /> : null}
          resendAction={settings.mail ? <ResendVerification /> : null}
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
              passkeyCount={passkeys.length}
            />
          </AccountSection>

          <AccountSection
            id={sections.passkeys.id}
            title={sections.passkeys.title}
            description="Sign in with your fingerprint, face or screen lock instead of a password."
          >
            <Passkeys
              sectionId={sections.passkeys.id}
              passkeys={passkeys}
              otherWays={identities.length + (hasPassword && user.email ? 1 : 0)}
              canAdd={passkeyRelyingParty(settings.appUrl) !== null}
            />
          </AccountSection>

          {settings.auth.passwordEnabled ? (
            <AccountSection id={sections.password.id} title={sections.password.title}>
              <PasswordSection
                sectionId={sections.password.id}
                hasPassword={hasPassword}
                email={user.email}
                passwordHint={PASSWORD_HINT}
              />
            </AccountSection>
          ) : null}

          <AccountSection
            id={sections.twoStep.id}
            title={sections.twoStep.title}
            description="Signing in also asks for a code from an app on your phone, so your password or provider account alone is not enough to get in."
          >
            <TwoStepSection
              sectionId={sections.twoStep.id}
              view={twoStep}
              accountLabel={labels.accountLabel}
              reauthPath={reauthenticationPath(`${ACCOUNT_PATH}#${sections.twoStep.id}`)}
            />
          </AccountSection>

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
                approvalTtlSeconds={settings.auth.signInApprovalTtlSeconds}
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
