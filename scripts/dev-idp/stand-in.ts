// What `npm run dev`'s stand-in consent pages offer for each provider: a few ready-made
// identities and a form for any other. Ids are derived from what is typed (a hash of the
// email, login or display name), so typing the same identity again signs in to the same
// Gatehouse account, as the same person at the real provider would. Telegram's user id is
// typed as it is, since the bot writes to that very id.
import { createHash } from "node:crypto";
import { PROVIDER_VARIABLES } from "@/lib/stand-ins";
import type { StandInForm } from "./authorize";
import type {
  GitHubIdentity,
  GoogleIdentity,
  StackOverflowIdentity,
  TelegramIdentity,
} from "./types";

/** A stable number from text: the first 4 bytes of its SHA-256 (GitHub and Stack Exchange
 *  ids are 32-bit integers). */
function stableNumber(text: string): number {
  return createHash("sha256").update(text.trim().toLowerCase()).digest().readUInt32BE(0);
}

const realProvider = (name: string, variables: readonly string[]) =>
  `To use the real ${name}, set ${variables.join(", ")} (docs/sign-in.md).`;

const EMAIL = /^[^\s@]+@[^\s@]+$/;
const trimmed = (body: Record<string, string>, name: string) => (body[name] ?? "").trim();

function googleIdentity(name: string, email: string, verified: boolean): GoogleIdentity {
  // Google's subjects are 21-digit numbers.
  const sub = `1${String(stableNumber(email)).padStart(10, "0")}${String(stableNumber(`${email}#`)).padStart(10, "0")}`;
  return { sub, name, email, email_verified: verified };
}

export const googleStandIn: StandInForm<GoogleIdentity> = {
  presets: [
    {
      label: "Ada Lovelace — ada@example.com, verified",
      identity: googleIdentity("Ada Lovelace", "ada@example.com", true),
    },
    {
      label: "Grace Hopper — grace@example.com, not verified",
      identity: googleIdentity("Grace Hopper", "grace@example.com", false),
    },
  ],
  fields: (identity) => [
    { name: "name", label: "Name", type: "text", value: identity.name },
    { name: "email", label: "Email", type: "email", value: identity.email },
    {
      name: "verified",
      label: "Google has verified this email",
      type: "checkbox",
      value: identity.email_verified,
      hint: "An existing account with this email is linked when it is verified, and refused when not.",
    },
  ],
  fromForm(body) {
    const email = trimmed(body, "email");
    if (!EMAIL.test(email)) return { problem: "Type an email address, like ada@example.com." };
    const name = trimmed(body, "name") || email;
    return { identity: googleIdentity(name, email, body.verified === "1") };
  },
  realProvider: realProvider("Google", PROVIDER_VARIABLES.google),
};

function gitHubIdentity(login: string, name: string, email: string, verified: boolean) {
  const identity: GitHubIdentity = {
    id: stableNumber(login),
    login,
    name: name || null,
    email: null,
    emails: email ? [{ email, primary: true, verified }] : [],
  };
  return identity;
}

export const gitHubStandIn: StandInForm<GitHubIdentity> = {
  presets: [
    {
      label: "ada — ada@example.com, verified",
      identity: gitHubIdentity("ada", "Ada Lovelace", "ada@example.com", true),
    },
    {
      label: "grace — grace@example.com, not verified",
      identity: gitHubIdentity("grace", "Grace Hopper", "grace@example.com", false),
    },
  ],
  fields: (identity) => {
    const primary = identity.emails.find((e) => e.primary);
    return [
      { name: "login", label: "Login", type: "text", value: identity.login },
      { name: "name", label: "Name", type: "text", value: identity.name ?? "" },
      {
        name: "email",
        label: "Primary email (may be empty)",
        type: "email",
        value: primary?.email ?? "",
      },
      {
        name: "verified",
        label: "GitHub has verified this email",
        type: "checkbox",
        value: primary?.verified ?? false,
        hint: "Gatehouse only uses a verified primary email.",
      },
    ];
  },
  fromForm(body) {
    const login = trimmed(body, "login");
    if (!/^[A-Za-z0-9-]{1,39}$/.test(login)) {
      return { problem: "Type a login: letters, digits and hyphens, like ada." };
    }
    const email = trimmed(body, "email");
    if (email && !EMAIL.test(email)) return { problem: "That email does not look right." };
    return {
      identity: gitHubIdentity(login, trimmed(body, "name"), email, body.verified === "1"),
    };
  },
  realProvider: realProvider("GitHub", PROVIDER_VARIABLES.github),
};

const stackIdentity = (displayName: string): StackOverflowIdentity => ({
  user_id: stableNumber(displayName) % 30_000_000,
  display_name: displayName,
});

export const stackOverflowStandIn: StandInForm<StackOverflowIdentity> = {
  presets: [
    { label: "Ada Lovelace", identity: stackIdentity("Ada Lovelace") },
    { label: "Grace Hopper", identity: stackIdentity("Grace Hopper") },
  ],
  fields: (identity) => [
    {
      name: "display_name",
      label: "Display name",
      type: "text",
      value: identity.display_name,
      hint: "Stack Overflow gives no email: Gatehouse never matches it to an account by email.",
    },
  ],
  fromForm(body) {
    const name = trimmed(body, "display_name");
    return name ? { identity: stackIdentity(name) } : { problem: "Type a display name." };
  },
  realProvider: realProvider("Stack Overflow", PROVIDER_VARIABLES.stackoverflow),
};

/** Telegram usernames: 5–32 letters, digits and underscores, starting with a letter. */
const TELEGRAM_USERNAME = /^[A-Za-z][A-Za-z0-9_]{4,31}$/;

function telegramIdentity(
  id: number,
  name: string,
  username: string,
  phone: string,
): TelegramIdentity {
  return {
    id,
    name,
    ...(username ? { preferred_username: username } : {}),
    ...(phone ? { phone_number: phone } : {}),
  };
}

export const telegramStandIn: StandInForm<TelegramIdentity> = {
  presets: [
    {
      // Above 2^32, as the ids of newer accounts are.
      label: "Ada Lovelace — @adalovelace, id 6183204117, allows messages",
      identity: telegramIdentity(6_183_204_117, "Ada Lovelace", "adalovelace", "+15555550100"),
    },
    {
      label: "Grace Hopper — no username, id 481516234, switches messages off",
      identity: telegramIdentity(481_516_234, "Grace Hopper", "", "+15555550142"),
      declines: ["telegram:bot_access"],
    },
  ],
  fields: (identity) => [
    {
      name: "id",
      label: "Telegram user id",
      type: "text",
      value: String(identity.id),
      hint: "The id the bot writes to. Telegram gives no email: Gatehouse never matches it to an account by email.",
    },
    { name: "name", label: "Name", type: "text", value: identity.name },
    {
      name: "username",
      label: "Username (may be empty)",
      type: "text",
      value: identity.preferred_username ?? "",
    },
    {
      name: "phone",
      label: "Phone number (may be empty)",
      type: "tel",
      value: identity.phone_number ?? "",
      hint: "Sent only when the phone scope is asked for.",
    },
  ],
  fromForm(body) {
    const idText = trimmed(body, "id");
    const id = Number(idText);
    if (!/^[1-9][0-9]{0,15}$/.test(idText) || !Number.isSafeInteger(id)) {
      return { problem: "Type a Telegram user id: a positive whole number, like 6183204117." };
    }
    const name = trimmed(body, "name");
    if (!name) return { problem: "Type a name." };
    const username = trimmed(body, "username").replace(/^@/, "");
    if (username && !TELEGRAM_USERNAME.test(username)) {
      return {
        problem: "A username has 5 to 32 letters, digits and underscores and starts with a letter.",
      };
    }
    const phone = trimmed(body, "phone").replace(/[\s().-]/g, "");
    if (phone && !/^\+?[0-9]{6,15}$/.test(phone)) {
      return { problem: "Type the phone number in international form, like +15555550100." };
    }
    return {
      identity: telegramIdentity(id, name, username, phone && `+${phone.replace(/^\+/, "")}`),
    };
  },
  realProvider:
    "To use the real Telegram, set up the bot's Web Login with BotFather and give Gatehouse its client id and secret (docs/sign-in.md).",
};
