// The most common passwords, refused when someone chooses a new password. The list is data,
// in lib/auth/common-passwords.txt next to this file: one lower-cased entry per line, with a
// header saying why it exists and where it comes from. This module reads it once, when first
// imported, into a Set.
//
// The file is found from the project root (process.cwd()), as Next recommends for files read
// at run time: `next dev`, `npm start`, vitest, tsx scripts and npm scripts all run there. A
// bundled server chunk no longer sits next to its source, so a path relative to this module
// would not survive `next build`; next.config.mjs lists the file in outputFileTracingIncludes
// so that a traced deployment (Vercel, `output: "standalone"`) carries it.
//
// Reading a file makes this server code: a client component may import the schemas' types,
// not the schemas themselves (the server runs the check on every submission anyway).
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The list, relative to the project root. */
const COMMON_PASSWORDS_FILE = join("lib", "auth", "common-passwords.txt");

/** Entries of the list's text: one per line; blank lines and `#` comments are skipped. */
function parseCommonPasswords(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

/** Lower-cased common passwords of at least 8 characters; look up `candidate.toLowerCase()`. */
export const COMMON_PASSWORDS: ReadonlySet<string> = new Set(
  parseCommonPasswords(readFileSync(join(process.cwd(), COMMON_PASSWORDS_FILE), "utf8")),
);

/** True when the password, compared case-insensitively, is one of the most common ones. */
export function isCommonPassword(password: string): boolean {
  return COMMON_PASSWORDS.has(password.toLowerCase());
}
