import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";

import { SiteFooter } from "@/components/site-footer";
import { SiteHeader } from "@/components/site-header";
import { APPLE_TOUCH_ICON } from "@/lib/app-icons";
import { palette } from "@/tailwind.config";

import "./globals.css";

export const metadata: Metadata = {
  title: {
    default: "Gatehouse — safe sign-in for your product",
    template: "%s · Gatehouse",
  },
  description:
    "Sign in with Google, GitHub, Stack Overflow, Telegram or a password. See and revoke every signed-in device, and get a Telegram alert for each new sign-in.",
  applicationName: "Gatehouse",
  // The manifest (app/manifest.ts) and app/favicon.ico are linked by Next itself. app/icon.svg
  // is listed here because a layout's `icons` replaces the file-based ones.
  icons: {
    icon: [{ url: "/icon.svg", type: "image/svg+xml" }],
    apple: [
      {
        url: APPLE_TOUCH_ICON.src,
        sizes: `${APPLE_TOUCH_ICON.size}x${APPLE_TOUCH_ICON.size}`,
        type: "image/png",
      },
    ],
  },
};

export const viewport: Viewport = {
  width: "device-width",
  initialScale: 1,
  // Lets the browser draw its own UI (scrollbars, form controls) in the OS theme from the
  // first paint, before the stylesheet arrives.
  colorScheme: "light dark",
  themeColor: [
    { media: "(prefers-color-scheme: light)", color: palette.light.surface },
    { media: "(prefers-color-scheme: dark)", color: palette.dark.surface },
  ],
};

export default function RootLayout({ children }: Readonly<{ children: ReactNode }>) {
  return (
    <html lang="en">
      <body className="flex min-h-dvh flex-col">
        {/* First tab stop: keyboard users can jump past the header. */}
        <a
          href="#main"
          className="sr-only rounded-control bg-brand px-4 py-2 font-semibold text-brand-contrast focus:not-sr-only focus:absolute focus:top-3 focus:left-3 focus:z-50"
        >
          Skip to content
        </a>
        <SiteHeader />
        <main id="main" tabIndex={-1} className="flex flex-1 flex-col focus:outline-none">
          {children}
        </main>
        <SiteFooter />
      </body>
    </html>
  );
}
