// The web manifest, served at /manifest.webmanifest (application/manifest+json) and linked
// from every page by Next. Written in TypeScript rather than as a file in public/ so that its
// colours come from the design tokens and its icons from the same list the layout, the rate
// limiter and scripts/make-icons.ts use; it reads nothing at request time, so Next renders it
// once at build.
import type { MetadataRoute } from "next";

import { MANIFEST_ICONS } from "@/lib/app-icons";
import { palette } from "@/tailwind.config";

export default function manifest(): MetadataRoute.Manifest {
  return {
    id: "/",
    name: "Gatehouse",
    short_name: "Gatehouse",
    description: "Safe sign-in: providers, passkeys, revocable devices and Telegram alerts.",
    lang: "en",
    start_url: "/",
    scope: "/",
    // A home-screen icon opens the site in the browser, not in an app window of its own: OAuth
    // redirects to the providers, passkeys and password managers then work exactly as on the
    // web (a separate window has its own cookies on iOS, and sign-in flows that leave the
    // site are where that shows). A product that wants the app window sets "standalone".
    display: "browser",
    // The manifest takes one colour; the pages' theme-color meta tags (app/layout.tsx) give
    // the dark one as well and win once a page has loaded.
    theme_color: palette.light.surface,
    background_color: palette.light.surface,
    icons: MANIFEST_ICONS.map((icon) => ({
      src: icon.src,
      sizes: `${icon.size}x${icon.size}`,
      type: "image/png",
      purpose: icon.purpose,
    })),
  };
}
