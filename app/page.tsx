import type { ReactNode } from "react";

import { ProviderSetupNote } from "@/components/dev/provider-setup-note";
import { configuredProviders, providerSetupNote } from "@/lib/auth/providers";
import type { Settings } from "@/lib/env";
import { getServices } from "@/lib/root";
import { OAUTH_PROVIDER_NAME } from "@/lib/sign-in-methods";

interface Feature {
  title: string;
  body: string;
  icon: ReactNode;
}

// Icons are decorative (aria-hidden); each feature's title carries the meaning.
const iconProps = {
  viewBox: "0 0 24 24",
  "aria-hidden": true,
  focusable: false,
  fill: "none",
  stroke: "currentColor",
  strokeWidth: 2,
  strokeLinecap: "round",
  strokeLinejoin: "round",
  className: "size-6",
} as const;

/** The first feature names only the sign-in methods this site has turned on. */
function signInMethods(settings: Settings): string {
  const names = configuredProviders(settings.auth).map((p) => OAUTH_PROVIDER_NAME[p.id]);
  if (settings.auth.passwordEnabled) names.push("an email and password");
  if (names.length === 0) return "With the sign-in methods the people who run this site turn on.";
  const list =
    names.length < 2 ? names.join("") : `${names.slice(0, -1).join(", ")}, or ${names.at(-1)}`;
  const sentence = `${list.charAt(0).toUpperCase()}${list.slice(1)}`;
  return names.length < 2 ? `${sentence}.` : `${sentence} — linked to one account.`;
}

const features = (settings: Settings): Feature[] => [
  {
    title: "Sign in your way",
    body: signInMethods(settings),
    icon: (
      <svg {...iconProps}>
        <circle cx="8" cy="15" r="4" />
        <path d="m10.85 12.15 8.15-8.15M16 7l2 2M14 9l2 2" />
      </svg>
    ),
  },
  {
    title: "Every device, revocable",
    body: "See each signed-in device with where and when, and sign any of them out.",
    icon: (
      <svg {...iconProps}>
        <rect x="3" y="4" width="13" height="10" rx="1.5" />
        <path d="M7 18h5M9.5 14v4" />
        <rect x="17" y="9" width="4.5" height="10" rx="1" />
      </svg>
    ),
  },
  {
    title: "Telegram sign-in alerts",
    body: "A message for every new sign-in, with one button to sign out everywhere.",
    icon: (
      <svg {...iconProps}>
        <path d="M6 9a6 6 0 0 1 12 0c0 6 2.5 8 2.5 8h-17S6 15 6 9" />
        <path d="M10.3 20a1.94 1.94 0 0 0 3.4 0" />
      </svg>
    ),
  },
  {
    title: "Locked down by default",
    body: "Strict security headers and rate limits stand in front of every request.",
    icon: (
      <svg {...iconProps}>
        <path d="M12 3 4.5 6v5.5c0 4.6 3.2 8.3 7.5 9.5 4.3-1.2 7.5-4.9 7.5-9.5V6Z" />
        <path d="m9 12 2 2 4-4" />
      </svg>
    ),
  },
];

// The page itself queries nothing (settings only), so it keeps working while a backing
// service is down; it is still rendered per request because the header in the layout reads
// the session.
export default function HomePage() {
  const { settings } = getServices();
  const setupNote = providerSetupNote(settings);
  return (
    <div className="mx-auto w-full max-w-page px-5 py-14 sm:px-8 sm:py-24">
      <section aria-labelledby="home-title" className="max-w-3xl">
        <h1
          id="home-title"
          className="text-4xl leading-[1.05] font-black tracking-tight text-balance sm:text-6xl"
        >
          Safe sign-in, <span className="text-brand">nothing hidden.</span>
        </h1>
        <p className="mt-6 max-w-2xl text-lg text-pretty text-muted sm:text-xl">
          Gatehouse signs people in with the account they already have, shows them every device they
          are signed in on, and tells them the moment someone else is.
        </p>
      </section>

      <section aria-labelledby="features-title" className="mt-16 sm:mt-24">
        <h2 id="features-title" className="sr-only">
          What Gatehouse does
        </h2>
        <ul className="grid gap-4 sm:grid-cols-2">
          {features(settings).map((feature) => (
            <li
              key={feature.title}
              className="rounded-card border border-border bg-raised p-6 sm:p-7"
            >
              <span className="inline-flex size-11 items-center justify-center rounded-control bg-brand/12 text-brand">
                {feature.icon}
              </span>
              <h3 className="mt-4 text-lg font-bold">{feature.title}</h3>
              <p className="mt-1.5 text-muted">{feature.body}</p>
            </li>
          ))}
        </ul>
        {setupNote ? <ProviderSetupNote note={setupNote} className="mt-6 max-w-2xl" /> : null}
      </section>
    </div>
  );
}
