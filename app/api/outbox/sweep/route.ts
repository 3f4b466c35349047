// The outbox sweeper for Vercel Cron (vercel.json): delivers what a response's after() left
// behind (a crash, a deploy, a long retry_after, an SMTP server that was down) — Telegram
// alerts and mail alike, and with RabbitMQ the security events (docs/jobs.md); without it,
// it empties the events queued for publishing. Vercel Cron sends
// `Authorization: Bearer $CRON_SECRET`; self-hosted servers sweep on an interval instead
// (lib/root/start.ts). 404 without a CRON_SECRET.
import { jsonError, withRouteErrors } from "@/lib/http/route";
import { getServices } from "@/lib/root";
import { bearerToken, secretMatches } from "@/lib/http/secrets";

export const GET = withRouteErrors(
  () => getServices().logger,
  async (request, { requestId, logger }) => {
    const { settings, notifications } = getServices();
    const { cronSecret } = settings.outbox;
    if (!cronSecret) {
      return jsonError(404, "not_found", "No CRON_SECRET: the sweep is off.", requestId);
    }
    if (!secretMatches(bearerToken(request.headers.get("authorization")), cronSecret)) {
      return jsonError(401, "unauthorized", "Missing or wrong bearer token.", requestId);
    }
    const result = await notifications.sweep.deliverDue();
    logger.info("outbox swept", result);
    return Response.json(result, { headers: { "cache-control": "no-store" } });
  },
);
