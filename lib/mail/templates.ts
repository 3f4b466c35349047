// The mails Gatehouse sends, as a typed registry: each kind says what data it needs, whether
// it carries a one-time link (sealed in the outbox, lib/security/sealed-link.ts), and its
// wording. One layout renders every kind twice — a plain-text body and an HTML body — from
// the same content, so the two always say the same thing; the HTML escapes every value.
//
// Links: the one-time link comes from the caller (built on APP_URL by the token flows);
// every other link is APP_URL + a fixed path. Nothing here takes a URL from a request.
//
// Adding a kind: add its data to MailData, a template to MAIL_TEMPLATES, and — when it
// carries a one-time link — its name to LINKED_MAIL_KINDS.

export interface MailData {
  /** After a password sign-up, or when an address is added to an account. */
  VERIFY_EMAIL: { expiresInMinutes: number };
  /** Someone signed up with an address that already has an account (told to its owner). */
  SIGN_UP_EXISTING: Record<string, never>;
  /** Forgot password: the link that sets a new one. */
  RESET_PASSWORD: { expiresInMinutes: number };
  /** Forgot password on an account without a password: how it signs in instead. */
  NO_PASSWORD: { methods: string[] };
  /** Change of email: the confirmation, sent to the new address. */
  CHANGE_EMAIL_CONFIRM: {
    newEmail: string;
    expiresInMinutes: number;
    /** Another account has this address: its mailbox is the only place that may be told. */
    addressInUse?: "verified" | "unverified";
  };
  /** Change of email: the notice to the old address, with a way to secure the account. */
  CHANGE_EMAIL_NOTICE: { newEmail: string };
}

export type MailKind = keyof MailData;

/** Kinds whose mail carries a one-time link (the caller gives it; it is sealed at rest). */
export const LINKED_MAIL_KINDS = [
  "VERIFY_EMAIL",
  "RESET_PASSWORD",
  "CHANGE_EMAIL_CONFIRM",
] as const satisfies readonly MailKind[];

export type LinkedMailKind = (typeof LINKED_MAIL_KINDS)[number];

export const isLinkedMailKind = (kind: MailKind): kind is LinkedMailKind =>
  (LINKED_MAIL_KINDS as readonly MailKind[]).includes(kind);

export const isMailKind = (kind: string): kind is MailKind => kind in MAIL_TEMPLATES;

/** What a template says, before the layout turns it into text and HTML. */
export interface MailContent {
  subject: string;
  /** Paragraphs before the button. */
  intro: string[];
  /** The main button (and its link, also written out in full). */
  action?: { label: string; url: string };
  /** Further links, each with a sentence saying what it is for. */
  links?: { text: string; url: string }[];
  /** Paragraphs after the button: expiry, "if this was not you". */
  outro: string[];
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

interface TemplateInput<K extends MailKind> {
  data: MailData[K];
  /** The one-time link of a linked kind; null for the others. */
  link: string | null;
  /** APP_URL, for the fixed links. */
  appUrl: string;
}

type Template<K extends MailKind> = (input: TemplateInput<K>) => MailContent;

const PRODUCT = "Gatehouse";

const validity = (minutes: number): string =>
  minutes % 60 === 0
    ? `${minutes / 60} hour${minutes === 60 ? "" : "s"}`
    : `${minutes} minute${minutes === 1 ? "" : "s"}`;

/** The one-time link, which linked kinds cannot be rendered without. */
function required(link: string | null): string {
  if (link === null) throw new Error("this mail needs its one-time link");
  return link;
}

const methodList = (methods: string[]): string =>
  methods.length <= 1
    ? (methods[0] ?? "a sign-in provider")
    : `${methods.slice(0, -1).join(", ")} or ${methods[methods.length - 1]}`;

/** What the change-of-address confirmation says when another account has the address. */
function addressInUse(state: MailData["CHANGE_EMAIL_CONFIRM"]["addressInUse"]): string[] {
  if (state === "verified") {
    return [
      `This address already has a ${PRODUCT} account, so it cannot be confirmed for another one: an address belongs to one account only. Sign in to that account instead, or change its address first.`,
    ];
  }
  if (state === "unverified") {
    return [
      `This address is also on another ${PRODUCT} account that never confirmed it. Confirming proves the address is yours: it moves to the account that asked, and the other account no longer has it.`,
    ];
  }
  return [];
}

export const MAIL_TEMPLATES: { [K in MailKind]: Template<K> } = {
  VERIFY_EMAIL: ({ data, link }) => ({
    subject: `Confirm your email address for ${PRODUCT}`,
    intro: [
      `Please confirm that this address belongs to you. Until you do, it is shown as not verified on your account page.`,
    ],
    action: { label: "Confirm my address", url: required(link) },
    outro: [
      `This link works once and for ${validity(data.expiresInMinutes)}. If you did not create an account or add this address, you can ignore this mail.`,
    ],
  }),
  SIGN_UP_EXISTING: ({ appUrl }) => ({
    subject: `Someone tried to create a ${PRODUCT} account with your address`,
    intro: [
      `Someone tried to create a new account with this email address, but you already have an account. No new account was created and nothing was changed.`,
      `If it was you, sign in instead — or reset your password if you have forgotten it.`,
    ],
    action: { label: "Sign in", url: `${appUrl}/sign-in` },
    links: [{ text: "Forgot your password? Reset it here:", url: `${appUrl}/forgot-password` }],
    outro: [`If it was not you, you do not need to do anything: your account is unchanged.`],
  }),
  RESET_PASSWORD: ({ data, link }) => ({
    subject: `Reset your ${PRODUCT} password`,
    intro: [
      `Someone asked to reset the password of your account. Use the button to choose a new one; this signs you out on every device.`,
    ],
    action: { label: "Choose a new password", url: required(link) },
    outro: [
      `This link works once and for ${validity(data.expiresInMinutes)}. If you did not ask for it, ignore this mail: your password stays as it is.`,
    ],
  }),
  NO_PASSWORD: ({ data, appUrl }) => ({
    subject: `How you sign in to ${PRODUCT}`,
    intro: [
      `Someone asked to reset the password of your account, but your account has no password: you sign in with ${methodList(data.methods)}.`,
      `Use that on the sign-in page. Once signed in, you can set a password on your account page if you want one.`,
    ],
    action: { label: "Go to the sign-in page", url: `${appUrl}/sign-in` },
    outro: [`If you did not ask for this, you can ignore this mail.`],
  }),
  CHANGE_EMAIL_CONFIRM: ({ data, link }) => ({
    subject: `Confirm your new email address for ${PRODUCT}`,
    intro: [
      `You asked to change the email address of your account to ${data.newEmail}. The change happens only when you confirm it.`,
      ...addressInUse(data.addressInUse),
    ],
    action: { label: "Confirm the new address", url: required(link) },
    outro: [
      `This link works once and for ${validity(data.expiresInMinutes)}. If you did not ask for this, ignore this mail: nothing changes.`,
    ],
  }),
  CHANGE_EMAIL_NOTICE: ({ data, appUrl }) => ({
    subject: `Your ${PRODUCT} email address is about to change`,
    intro: [
      `Someone signed in to your account asked to change its email address to ${data.newEmail}. It changes only if that address confirms.`,
      `If this was you, there is nothing to do.`,
    ],
    action: { label: "Review my account", url: `${appUrl}/account` },
    links: [
      {
        text: "If it was not you, reset your password now; this signs everyone out:",
        url: `${appUrl}/forgot-password`,
      },
    ],
    outro: [`On your account page you can also sign out every device you do not recognise.`],
  }),
};

/** The subject and both bodies of one mail. */
export function renderMail<K extends MailKind>(kind: K, input: TemplateInput<K>): RenderedMail {
  const template: Template<K> = MAIL_TEMPLATES[kind];
  return layout(template(input));
}

// ---------------------------------------------------------------------------------------
// The layout: the same content as plain text and as HTML.

/** Escapes text for HTML content and double-quoted attributes. */
export function escapeHtml(value: string): string {
  return value
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

function textBody(content: MailContent): string {
  const parts = ["Hello,", ...content.intro];
  if (content.action) parts.push(`${content.action.label}:\n${content.action.url}`);
  for (const link of content.links ?? []) parts.push(`${link.text}\n${link.url}`);
  parts.push(...content.outro, `— ${PRODUCT}`);
  return `${parts.join("\n\n")}\n`;
}

const P = 'style="margin:0 0 16px;font-size:16px;line-height:1.5;color:#1f2937"';
const SMALL = 'style="margin:0 0 16px;font-size:14px;line-height:1.5;color:#4b5563"';

function htmlBody(content: MailContent): string {
  const paragraph = (text: string, style = P) => `<p ${style}>${escapeHtml(text)}</p>`;
  const anchor = (url: string, text: string) =>
    `<a href="${escapeHtml(url)}" style="color:#1d4ed8;word-break:break-all">${escapeHtml(text)}</a>`;
  const rows: string[] = [paragraph("Hello,"), ...content.intro.map((text) => paragraph(text))];
  if (content.action) {
    const { label, url } = content.action;
    rows.push(
      `<p style="margin:24px 0"><a href="${escapeHtml(url)}" style="display:inline-block;padding:12px 20px;border-radius:6px;background:#1d4ed8;color:#ffffff;font-size:16px;font-weight:600;text-decoration:none">${escapeHtml(label)}</a></p>`,
      `<p ${SMALL}>If the button does not work, open this link: ${anchor(url, url)}</p>`,
    );
  }
  for (const link of content.links ?? []) {
    rows.push(`<p ${P}>${escapeHtml(link.text)}<br>${anchor(link.url, link.url)}</p>`);
  }
  rows.push(...content.outro.map((text) => paragraph(text, SMALL)), paragraph(`— ${PRODUCT}`));
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(content.subject)}</title></head>`,
    '<body style="margin:0;padding:24px;background:#f3f4f6;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif">',
    '<div style="max-width:560px;margin:0 auto;padding:24px;background:#ffffff;border-radius:8px">',
    ...rows,
    "</div></body></html>",
  ].join("\n");
}

function layout(content: MailContent): RenderedMail {
  return { subject: content.subject, text: textBody(content), html: htmlBody(content) };
}
