// Request ids tie a user-visible error ("reference: …") to the log lines behind it.
import { randomUUID } from "node:crypto";

export const REQUEST_ID_HEADER = "x-request-id";

// An incoming id is kept only when it is short and plain, so a client cannot inject log
// lines or huge values through it.
const wellFormed = /^[A-Za-z0-9_-]{8,64}$/;

export function requestIdFrom(headers: Headers): string {
  const incoming = headers.get(REQUEST_ID_HEADER);
  return incoming && wellFormed.test(incoming) ? incoming : randomUUID();
}
