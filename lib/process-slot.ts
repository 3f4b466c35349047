// The process's one globalThis slot. What must exist once per process is kept here:
// the composition root's services (lib/root), the migration runner's queue and the request
// scope the logger reads (lib/request-scope.ts).
// Why globalThis and not a module-level variable:
// - proxy.ts and the app are bundled separately but run in one process, so they must share
//   one Redis connection and — with the in-memory backend — one set of rate-limit counters;
// - Next's dev server re-evaluates modules on every edit: a module-level singleton would
//   open a new connection pool (or a second PGlite on the same folder) each time, while
//   globalThis survives the reload.
type Part = "protection" | "services" | "migrationQueue" | "requestScope";

const holder = globalThis as typeof globalThis & {
  gatehouse?: Partial<Record<Part, unknown>>;
};

/** The part built by `create`, created on first use and then shared process-wide. */
export function kept<T>(part: Part, create: () => T): T {
  const slot = (holder.gatehouse ??= {});
  // Each part is only ever written below, by the one caller that owns its name and type.
  if (!(part in slot)) slot[part] = create();
  return slot[part] as T;
}
