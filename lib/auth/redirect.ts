// Where to send someone after sign-in or sign-out. Only same-origin targets are allowed;
// anything else (another host, a protocol-relative "//host", a backslash trick, a
// javascript: URL, or their percent-encoded forms) lands on the home page.

/** Returns a same-origin path (with query and hash) for `target`, or "/" when unsafe. */
export function safeRedirectPath(target: string | null | undefined, origin: string): string {
  if (!target) return "/";
  let decoded = target;
  // Decode repeatedly so double-encoded tricks ("%252F%252F") cannot slip through.
  for (let i = 0; i < 3; i++) {
    try {
      const next = decodeURIComponent(decoded);
      if (next === decoded) break;
      decoded = next;
    } catch {
      return "/";
    }
  }
  // Browsers treat "\" as "/" and ignore tabs/newlines inside URLs, so a target holding a
  // backslash or any control character is refused outright.
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  if (/[\\\u0000-\u001f]/.test(decoded)) return "/";
  const base = new URL(origin);
  let url: URL;
  try {
    url = new URL(target, base);
  } catch {
    return "/";
  }
  if (url.origin !== base.origin) return "/";
  if (decoded.startsWith("//") || /^[a-z][a-z0-9+.-]*:/i.test(decoded.replace(/^\s+/, ""))) {
    // Absolute URLs are accepted only when they are same-origin http(s).
    if (
      !(url.protocol === "http:" || url.protocol === "https:") ||
      !decoded.startsWith(base.origin)
    ) {
      return "/";
    }
  }
  return `${url.pathname}${url.search}${url.hash}`;
}
