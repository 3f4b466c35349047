// ESLint flat config. Next 16 removed `next lint`; `npx eslint .` (or `npm run lint`) runs this.
import js from "@eslint/js";
import nextPlugin from "@next/eslint-plugin-next";
import prettierConfig from "eslint-config-prettier";
import reactHooks from "eslint-plugin-react-hooks";
import { defineConfig, globalIgnores } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig([
  globalIgnores([
    ".next/**",
    "out/**",
    "coverage/**",
    "node_modules/**",
    "lib/generated/**",
    ".data/**",
    "test-results/**",
    "tmp/**",
    "next-env.d.ts",
  ]),

  js.configs.recommended,
  // Type-aware rules catch what matters in server code: floating promises, unsafe `any`
  // flowing out of JSON and library boundaries, misused async callbacks.
  tseslint.configs.recommendedTypeChecked,
  tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // One TypeScript program per tsconfig, found automatically (fast, no globs to keep).
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
      globals: { ...globals.node, ...globals.browser },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // Underscore marks a deliberately unused parameter or destructured rest sibling.
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
      // `verbatimModuleSyntax` needs type-only imports spelled `import type`.
      "@typescript-eslint/consistent-type-imports": [
        "error",
        { prefer: "type-imports", fixStyle: "separate-type-imports" },
      ],
      // No-op callbacks are deliberate here (teardowns with nothing to do, promises that
      // never settle in tests); an empty body says so plainly.
      "@typescript-eslint/no-empty-function": "off",
      // Next's server actions and route handlers are async functions passed as props or
      // attributes (`<form action={…}>`); checking void returns there is noise.
      "@typescript-eslint/no-misused-promises": [
        "error",
        { checksVoidReturn: { attributes: false } },
      ],
    },
  },

  {
    files: ["**/*.{js,jsx,mjs,cjs,ts,tsx,mts,cts}"],
    ...nextPlugin.configs["core-web-vitals"],
  },
  reactHooks.configs.flat.recommended,

  // Plain JavaScript config files (this one, next.config.mjs, postcss.config.mjs, scripts):
  // their library imports are mostly untyped, so type-aware rules would only report `any`.
  {
    files: ["**/*.{js,mjs,cjs}"],
    ...tseslint.configs.disableTypeChecked,
  },

  // Last: turn off every stylistic rule Prettier owns.
  prettierConfig,
]);
