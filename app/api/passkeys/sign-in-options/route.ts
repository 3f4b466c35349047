// The options for a passkey sign-in ceremony (lib/auth/passkey-sign-in-options.ts says why
// this is a route handler and not a server action).
import { createPasskeySignInOptionsHandler } from "@/lib/auth/passkey-sign-in-options";
import { contextFromHeaders } from "@/lib/http/request-context";
import { withRouteErrors } from "@/lib/http/route";
import { getServices } from "@/lib/root";

const handler = createPasskeySignInOptionsHandler({
  services: getServices,
  clientIp: (headers) => contextFromHeaders(headers).ip,
});

export const POST = withRouteErrors(() => getServices().logger, handler);
