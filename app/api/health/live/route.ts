import { createHealthRoutes } from "@/lib/health";
import { getServices } from "@/lib/root";

// A GET that reads nothing could be served from a copy made at build time; a probe must be
// answered by the running process, every time.
export const dynamic = "force-dynamic";

export const { live: GET } = createHealthRoutes(getServices);
