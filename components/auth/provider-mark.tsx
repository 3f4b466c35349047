import type { ComponentType } from "react";

import type { OAuthProviderId } from "@/lib/sign-in-methods";

// Inline marks: no image requests, no extra origin in the CSP, and they follow the colour
// scheme. Decorative (aria-hidden): the button's text names the provider.
const svgProps = {
  viewBox: "0 0 24 24",
  "aria-hidden": true,
  focusable: false,
  className: "size-5 shrink-0",
} as const;

function GoogleMark() {
  // Google's four-colour "G"; its brand rules ask for the full-colour mark on sign-in buttons.
  return (
    <svg {...svgProps}>
      <path
        fill="#4285F4"
        d="M23.49 12.27c0-.79-.07-1.54-.19-2.27H12v4.51h6.47c-.29 1.48-1.14 2.73-2.4 3.58v3h3.86c2.26-2.09 3.56-5.17 3.56-8.82z"
      />
      <path
        fill="#34A853"
        d="M12 24c3.24 0 5.95-1.08 7.93-2.91l-3.86-3c-1.08.72-2.45 1.16-4.07 1.16-3.13 0-5.78-2.11-6.73-4.96H1.29v3.09C3.26 21.3 7.31 24 12 24z"
      />
      <path
        fill="#FBBC05"
        d="M5.27 14.29c-.24-.72-.38-1.49-.38-2.29s.14-1.57.38-2.29V6.62H1.29C.47 8.24 0 10.06 0 12s.47 3.76 1.29 5.38l3.98-3.09z"
      />
      <path
        fill="#EA4335"
        d="M12 4.75c1.77 0 3.35.61 4.6 1.8l3.42-3.42C17.95 1.19 15.24 0 12 0 7.31 0 3.26 2.7 1.29 6.62l3.98 3.09c.95-2.85 3.6-4.96 6.73-4.96z"
      />
    </svg>
  );
}

function GitHubMark() {
  // currentColor: GitHub's mark is single-colour, dark on light and light on dark.
  return (
    <svg {...svgProps} fill="currentColor">
      <path d="M12 .297c-6.63 0-12 5.373-12 12 0 5.303 3.438 9.8 8.205 11.385.6.113.82-.258.82-.577 0-.285-.01-1.04-.015-2.04-3.338.724-4.042-1.61-4.042-1.61C4.422 18.07 3.633 17.7 3.633 17.7c-1.087-.744.084-.729.084-.729 1.205.084 1.838 1.236 1.838 1.236 1.07 1.835 2.809 1.305 3.495.998.108-.776.417-1.305.76-1.605-2.665-.3-5.466-1.332-5.466-5.93 0-1.31.465-2.38 1.235-3.22-.135-.303-.54-1.523.105-3.176 0 0 1.005-.322 3.3 1.23.96-.267 1.98-.399 3-.405 1.02.006 2.04.138 3 .405 2.28-1.552 3.285-1.23 3.285-1.23.645 1.653.24 2.873.12 3.176.765.84 1.23 1.91 1.23 3.22 0 4.61-2.805 5.625-5.475 5.92.42.36.81 1.096.81 2.22 0 1.606-.015 2.896-.015 3.286 0 .315.21.69.825.57C20.565 22.092 24 17.592 24 12.297c0-6.627-5.373-12-12-12" />
    </svg>
  );
}

function StackOverflowMark() {
  // The tray in the text colour and the stack in Stack Overflow's orange, as their logo.
  return (
    <svg {...svgProps}>
      <path fill="currentColor" d="M1.89 15.47V24h19.19v-8.53h-2.133v6.397H4.021v-6.396H1.89z" />
      <path
        fill="#F48024"
        d="M15.725 0l-1.72 1.277 6.39 8.588 1.716-1.277L15.725 0zm-3.94 3.418l-1.369 1.644 8.225 6.85 1.369-1.644-8.225-6.85zm-3.15 4.465l-.905 1.94 9.702 4.517.904-1.94-9.701-4.517zm-1.85 4.86l-.44 2.093 10.473 2.201.44-2.092-10.473-2.203zM6.154 17.603v2.13h10.66v-2.13H6.154z"
      />
    </svg>
  );
}

function TelegramMark() {
  // A white paper plane on Telegram's blue disc, as their logo.
  return (
    <svg {...svgProps}>
      <circle cx="12" cy="12" r="12" fill="#2AABEE" />
      <path
        fill="#fff"
        d="M5.4 11.9 17.3 7.3c.6-.2 1 .1.9.9l-2 9.5c-.2.7-.6.9-1.2.5l-3.1-2.3-1.5 1.5c-.2.2-.3.3-.7.3l.2-3.2 5.8-5.2c.3-.2-.1-.4-.4-.2l-7.2 4.5-3.1-1c-.7-.2-.7-.7.2-1z"
      />
    </svg>
  );
}

const marks: Record<OAuthProviderId, ComponentType> = {
  google: GoogleMark,
  github: GitHubMark,
  stackoverflow: StackOverflowMark,
  telegram: TelegramMark,
};

export function ProviderMark({ provider }: { provider: OAuthProviderId }) {
  const Mark = marks[provider];
  return <Mark />;
}
