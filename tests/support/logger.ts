import { createLogger, type LogLevel, type Logger } from "@/lib/logger";

/** A real logger whose lines are kept for assertions instead of printed. */
export function memoryLogger(
  level: LogLevel = "debug",
): Logger & { lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level,
    sink: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  return Object.assign(logger, { lines });
}
