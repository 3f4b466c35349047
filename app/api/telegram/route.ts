// Telegram's webhook (lib/telegram/webhook.ts does the checking; `npm run bot:webhook`
// registers this URL with its secret). 404 when no bot is configured.
import { jsonError, withRouteErrors } from "@/lib/http/route";
import { getServices } from "@/lib/root";

export const POST = withRouteErrors(
  () => getServices().logger,
  async (request, { requestId }) => {
    const { telegram } = getServices();
    if (!telegram) return jsonError(404, "not_found", "No Telegram bot is configured.", requestId);
    return telegram.webhook(request, requestId);
  },
);
