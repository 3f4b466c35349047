// The readiness answer under its first name, kept for the monitors and load balancers
// configured before /api/health/ready existed (docs/production.md, "Health probes").
import { createHealthRoutes } from "@/lib/health";
import { getServices } from "@/lib/root";

export const dynamic = "force-dynamic";

export const { ready: GET } = createHealthRoutes(getServices);
