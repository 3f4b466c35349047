// The development mailbox: with no SMTP_URL in a development build, every mail is written
// to a file under GATEHOUSE_DATA_DIR/mail/ (one JSON file per mail) and its links are
// printed in the server log, so `npm run dev` shows every flow with nothing installed; the
// page /dev/mail lists the latest. lib/env.ts produces this transport only for NODE_ENV
// development in a development build: links in a log are fine on a developer's machine and
// nowhere else.
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

import type { Logger } from "@/lib/logger";
import type { MailSender, OutgoingMail } from "@/lib/mail/sender";

/** One mail as the mailbox keeps it. */
export interface StoredMail extends OutgoingMail {
  id: string;
  /** When it was "sent", ISO 8601. */
  at: string;
}

/** Every http(s) link in a plain-text body, in order. */
export function linksIn(text: string): string[] {
  return text.match(/https?:\/\/[^\s<>"]+/g) ?? [];
}

export function createDevMailbox(deps: {
  dir: string;
  logger: Pick<Logger, "info">;
  now?: () => Date;
}): MailSender {
  const now = deps.now ?? (() => new Date());
  return {
    async send(mail) {
      const at = now().toISOString();
      // Sortable by name: the time first, then randomness so two mails in one ms never clash.
      const id = `${at.replace(/[:.]/g, "-")}-${randomBytes(4).toString("hex")}`;
      const stored: StoredMail = { id, at, ...mail };
      await mkdir(deps.dir, { recursive: true });
      await writeFile(path.join(deps.dir, `${id}.json`), `${JSON.stringify(stored, null, 2)}\n`, {
        mode: 0o600,
      });
      deps.logger.info("development mailbox: mail written", {
        to: mail.to,
        subject: mail.subject,
        links: linksIn(mail.text),
        file: path.join(deps.dir, `${id}.json`),
      });
      return { messageId: `<${id}@dev-mailbox>` };
    },
  };
}

/** The file names send() writes: the time (sortable), then 8 hex digits. */
const MAIL_FILE = /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z-[0-9a-f]{8}\.json$/;

const isStoredMail = (value: unknown): value is StoredMail => {
  const v = value as Partial<Record<keyof StoredMail, unknown>>;
  return (
    typeof value === "object" &&
    value !== null &&
    ["id", "at", "from", "to", "subject", "text", "html"].every(
      (key) => typeof v[key as keyof StoredMail] === "string",
    )
  );
};

/** The latest `limit` mails of the mailbox, newest first; none when the folder is missing. */
export async function listDevMail(dir: string, limit = 50): Promise<StoredMail[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const latest = names
    // Only the mailbox's own names: anything else in the folder takes no place in the list.
    .filter((name) => MAIL_FILE.test(name))
    .sort()
    .reverse()
    .slice(0, limit);
  const mails = await Promise.all(
    latest.map(async (name) => {
      try {
        const parsed: unknown = JSON.parse(await readFile(path.join(dir, name), "utf8"));
        return isStoredMail(parsed) ? parsed : null;
      } catch {
        // A file being written or edited by hand: skip it rather than break the page.
        return null;
      }
    }),
  );
  return mails.filter((mail): mail is StoredMail => mail !== null);
}
