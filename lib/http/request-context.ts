// Who is asking, for logs and security events: client IP, user agent and request id of
// the request being handled (route handler, server action or server component).
import "server-only";
import { headers } from "next/headers";
import { getSettings } from "@/lib/env";
import { clientIp } from "@/lib/http/client-ip";
import { requestIdFrom } from "@/lib/http/request-id";

export interface RequestContext {
  ip: string | null;
  userAgent: string | null;
  requestId: string;
}

export function contextFromHeaders(headerList: Headers): RequestContext {
  const { rateLimits } = getSettings();
  return {
    ip: clientIp(headerList, rateLimits),
    // Bounded: the column is for display, not for storing whatever a client sends.
    userAgent: headerList.get("user-agent")?.slice(0, 512) ?? null,
    requestId: requestIdFrom(headerList),
  };
}

export async function requestContext(): Promise<RequestContext> {
  return contextFromHeaders(await headers());
}
