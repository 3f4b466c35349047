// Gatehouse design tokens. Loaded by Tailwind 4 from app/globals.css with
// `@config "../tailwind.config.ts";` so there is one place to change the look.
//
// Colours are CSS variables, not literal values: the plugin below writes a light set on
// :root and a dark set inside `@media (prefers-color-scheme: dark)`, so every utility
// (`bg-surface`, `text-muted`, …) follows the OS theme with no `dark:` variants and no
// inline theme script (a strict nonce CSP forbids those). Every foreground/background
// pair used by the UI meets WCAG AA (≥ 4.5:1): text/surface ≈ 19:1 light, 17:1 dark;
// muted/surface ≈ 8.5:1; brand-contrast/brand ≈ 8:1. `border` is decorative (≈ 1.5:1):
// where an outline is the only cue (form inputs), use `border-muted` instead.
import type { Config } from "tailwindcss";
import type { PluginAPI } from "tailwindcss/plugin";

export interface Palette {
  /** Page background. */
  surface: string;
  /** Cards and panels that sit on the page. */
  raised: string;
  /** Body text and headings. */
  text: string;
  /** Secondary text; still AA on both surfaces. */
  muted: string;
  /** Hairlines and dividers. */
  border: string;
  /** Primary actions, links, focus rings. */
  brand: string;
  /** Text and icons placed on `brand`. */
  brandContrast: string;
  danger: string;
  success: string;
}

export const palette = {
  light: {
    surface: "#ffffff",
    raised: "#f4f4f6",
    text: "#0c0a1d",
    muted: "#4d4a5e",
    border: "#d6d4e0",
    brand: "#4b2bd8",
    brandContrast: "#ffffff",
    danger: "#b42318",
    success: "#1f7a3a",
  },
  dark: {
    surface: "#0b0a14",
    raised: "#161424",
    text: "#f3f2f8",
    muted: "#aeabc0",
    border: "#2e2b42",
    brand: "#a99bff",
    brandContrast: "#0b0a14",
    danger: "#ff8a80",
    success: "#5fd88a",
  },
} as const satisfies Record<"light" | "dark", Palette>;

// Plain system stacks: no web-font download (offline installs, no extra origin in the CSP,
// no layout shift while a font loads).
const sansStack = [
  "system-ui",
  "-apple-system",
  '"Segoe UI"',
  "Roboto",
  '"Helvetica Neue"',
  '"Noto Sans"',
  '"Liberation Sans"',
  "Arial",
  "sans-serif",
  '"Apple Color Emoji"',
  '"Segoe UI Emoji"',
  '"Noto Color Emoji"',
];
const monoStack = [
  "ui-monospace",
  "SFMono-Regular",
  "Menlo",
  "Consolas",
  '"Liberation Mono"',
  "monospace",
];

const tokenNames = Object.keys(palette.light) as (keyof Palette)[];

/** `brandContrast` → `--gh-brand-contrast` */
function variableName(token: keyof Palette): string {
  return `--gh-${token.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}

function variablesFor(scheme: Palette): Record<string, string> {
  return Object.fromEntries(tokenNames.map((token) => [variableName(token), scheme[token]]));
}

/** Writes the palette as CSS variables, switching with the OS colour scheme. */
function paletteVariables(api: PluginAPI): void {
  api.addBase({
    ":root": { colorScheme: "light dark", ...variablesFor(palette.light) },
    "@media (prefers-color-scheme: dark)": { ":root": variablesFor(palette.dark) },
  });
}

const config = {
  // Tailwind 4's default, stated so nobody adds a class-based toggle that would need an
  // inline script to avoid a flash of the wrong theme.
  darkMode: "media",
  theme: {
    extend: {
      colors: {
        surface: `var(${variableName("surface")})`,
        raised: `var(${variableName("raised")})`,
        text: `var(${variableName("text")})`,
        muted: `var(${variableName("muted")})`,
        border: `var(${variableName("border")})`,
        brand: {
          DEFAULT: `var(${variableName("brand")})`,
          contrast: `var(${variableName("brandContrast")})`,
        },
        danger: `var(${variableName("danger")})`,
        success: `var(${variableName("success")})`,
      },
      borderRadius: {
        control: "0.75rem",
        card: "1.25rem",
      },
      fontFamily: {
        sans: sansStack,
        mono: monoStack,
      },
      maxWidth: {
        page: "68rem",
      },
    },
  },
  plugins: [paletteVariables],
} satisfies Config;

export default config;
