// A sign-in's verdict on the trace of the request that reached it: an event named
// gatehouse.sign_in on the active span, with the method and the result (the same
// classification the metrics use). Registered only when tracing is on (lib/root/services.ts).
// @opentelemetry/api is the API alone — Next itself loads it on every start — and without
// a registered tracer there is no active span and this does nothing.
import { trace } from "@opentelemetry/api";

import { methodLabel } from "@/lib/metrics";
import { SIGN_IN_RESULT_OF } from "@/lib/metrics/sign-ins";
import type { AfterRecordHook } from "@/lib/security/events";

export function signInSpanHook(): AfterRecordHook {
  return (_tx, event) => {
    const result = SIGN_IN_RESULT_OF[event.type];
    const span = trace.getActiveSpan();
    if (result && span) {
      span.addEvent("gatehouse.sign_in", {
        // The metrics' label: a provider id read from a callback URL is the caller's text.
        "gatehouse.sign_in.method": methodLabel(event.method),
        "gatehouse.sign_in.result": result,
      });
    }
    return Promise.resolve();
  };
}
