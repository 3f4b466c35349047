import { healthResponse } from "@/lib/health";
import { withRouteErrors } from "@/lib/http/route";
import { getServices } from "@/lib/root";

export const dynamic = "force-dynamic";

export const GET = withRouteErrors(
  () => getServices().logger,
  (_request, { logger }) => {
    const { settings, database, redis, broker } = getServices();
    return healthResponse({
      pingDatabase: () => database.ping(),
      pingRedis: () => redis.ping(),
      ...(broker ? { brokerState: () => broker.state() } : {}),
      timeoutMs: settings.health.timeoutMs,
      logger,
    });
  },
);
