// The composition root's entry point for the app: the process's one set of services
// (lib/root/services.ts builds them; what each part is and why is said there).
import "server-only";
import { after } from "next/server";

import { getProtection } from "@/lib/root/protection";
import { createServices, type Services } from "@/lib/root/services";
import { kept } from "@/lib/process-slot";

export type { Services } from "@/lib/root/services";

/** The process's services, built on first use. */
export function getServices(): Services {
  return kept("services", () => createServices(getProtection(), { runAfter: after }));
}
