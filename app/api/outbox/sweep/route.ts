// The outbox sweeper for Vercel Cron (vercel.json): delivers alerts left over from a
// response whose after() did not finish (a crash, a deploy, a long retry_after). Vercel Cron
// sends `Authorization: Bearer $CRON_SECRET`; self-hosted servers sweep on an interval
// instead (lib/root/start.ts). 404 without a bot or a CRON_SECRET.
import { jsonError, withRouteErrors } from "@/lib/http/route";
import { getServices } from "@/lib/root";
import { secretMatches } from "@/lib/telegram/webhook";

export const GET = withRouteErrors(
  () => getServices().logger,
  async (request, { requestId, logger }) => {
    const { cronSecret } = getServices().settings.outbox;
    const { telegram } = getServices();
    if (!telegram || !cronSecret) {
      return jsonError(
        404,
        "not_found",
        "No Telegram bot or CRON_SECRET is configured.",
        requestId,
      );
    }
    const header = request.headers.get("authorization");
    const given = header?.startsWith("Bearer ") ? header.slice("Bearer ".length) : null;
    if (!secretMatches(given, cronSecret)) {
      return jsonError(401, "unauthorized", "Missing or wrong bearer token.", requestId);
    }
    const result = await telegram.delivery.deliverDue();
    logger.info("outbox swept", result);
    return Response.json(result, { headers: { "cache-control": "no-store" } });
  },
);
