// Security headers for every response, built from settings (proxy.ts applies them). The
// bar is the MDN HTTP Observatory's A+: a nonce-based CSP with 'strict-dynamic' (no
// 'unsafe-inline' for scripts in production), clickjacking and MIME-sniffing protection,
// a strict referrer policy, HSTS on https, and cross-origin isolation of the window.
import type { Settings } from "@/lib/env";

export interface CspOptions {
  /** Fresh per request (base64), also handed to Next so its own scripts carry it. */
  nonce: string;
  /** Development needs eval (React's dev build) and a websocket (hot reload). */
  development: boolean;
  /** Where sign-in forms may send the browser (the OAuth providers). */
  formActionOrigins: string[];
  /** Upgrade http subresources when the site itself is served over https. */
  https: boolean;
}

export function buildCsp(options: CspOptions): string {
  const nonce = `'nonce-${options.nonce}'`;
  const directives: Record<string, string[]> = {
    "default-src": ["'self'"],
    // 'strict-dynamic': scripts loaded by a nonced script are trusted, host lists are
    // ignored by browsers that support it, which is how Next's chunks load.
    "script-src": [
      "'self'",
      nonce,
      "'strict-dynamic'",
      ...(options.development ? ["'unsafe-eval'"] : []),
    ],
    // Inline style *attributes* (Next's route announcer, React's dev overlay) cannot carry
    // a nonce; styles cannot run code, and the Observatory does not penalise this.
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'", ...(options.development ? ["ws:", "wss:"] : [])],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'", ...options.formActionOrigins],
    "manifest-src": ["'self'"],
    "worker-src": ["'self'", "blob:"],
  };
  const parts = Object.entries(directives).map(([name, values]) => `${name} ${values.join(" ")}`);
  if (options.https) parts.push("upgrade-insecure-requests");
  return parts.join("; ");
}

/** Features the app never uses, denied to it and to anything it might embed. */
const deniedFeatures = [
  "accelerometer",
  "autoplay",
  "browsing-topics",
  "camera",
  "display-capture",
  "geolocation",
  "gyroscope",
  "hid",
  "magnetometer",
  "microphone",
  "midi",
  "payment",
  "picture-in-picture",
  "screen-wake-lock",
  "serial",
  "usb",
  "xr-spatial-tracking",
];

/**
 * Features the app uses itself and denies to anything it might embed: WebAuthn, for
 * passkeys (creating one on the account page, signing in with one on /sign-in).
 */
const ownFeatures = ["publickey-credentials-create", "publickey-credentials-get"];

export const PERMISSIONS_POLICY = [
  ...deniedFeatures.map((feature) => `${feature}=()`),
  ...ownFeatures.map((feature) => `${feature}=(self)`),
].join(", ");

/** One year, the Observatory's bar; subdomains included (preload is the owner's choice). */
export const HSTS = "max-age=31536000; includeSubDomains";

/** The headers that do not change per request. */
export function staticSecurityHeaders(options: { https: boolean; production: boolean }) {
  return {
    // HSTS over plain http is ignored by browsers, and on a laptop it would pin localhost.
    ...(options.production && options.https ? { "Strict-Transport-Security": HSTS } : {}),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    // Older browsers ignore CSP's frame-ancestors; this says the same to them.
    "X-Frame-Options": "DENY",
  } as const;
}

/** Everything the proxy needs from settings, computed once per process. */
export interface HeaderSettings {
  development: boolean;
  production: boolean;
  https: boolean;
  formActionOrigins: string[];
}

export function headerSettings(
  settings: Pick<Settings, "appUrl" | "isProduction" | "nodeEnv">,
  formActionOrigins: string[],
): HeaderSettings {
  return {
    development: settings.nodeEnv === "development",
    production: settings.isProduction,
    https: new URL(settings.appUrl).protocol === "https:",
    formActionOrigins,
  };
}
