import { createHealthRoutes } from "@/lib/health";
import { getServices } from "@/lib/root";

export const dynamic = "force-dynamic";

export const { ready: GET } = createHealthRoutes(getServices);
