// The bench's load keeps cookies as a browser does (scripts/bench/browser.ts), so the app's
// session cookie renewal (proxy.ts) happens once, as for a person, not on every request.
import { describe, expect, it } from "vitest";

import { CookieJar } from "@/scripts/bench/browser";

describe("CookieJar", () => {
  it("sends what it was given and replaces a cookie that an answer sets again", () => {
    const jar = new CookieJar("authjs.csrf-token=abc; authjs.session-token=old");
    expect(jar.header()).toBe("authjs.csrf-token=abc; authjs.session-token=old");
    jar.store([
      "authjs.session-token=new; Path=/; Expires=Fri, 01 Jan 2100 00:00:00 GMT; HttpOnly; SameSite=Lax",
      "device=d1; Path=/; Max-Age=600",
    ]);
    expect(jar.header()).toBe("authjs.csrf-token=abc; authjs.session-token=new; device=d1");
  });

  it("drops a cookie that an answer clears or expires", () => {
    const jar = new CookieJar("a=1; b=2; c=3; d=4");
    jar.store([
      "a=; Path=/",
      "b=2; Max-Age=0",
      "c=3; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
      "d=5; max-age=60",
    ]);
    expect(jar.header()).toBe("d=5");
  });

  it("ignores lines that are not cookies", () => {
    const jar = new CookieJar("a=1");
    jar.store(["", "no-equals-sign", "=value-without-name"]);
    expect(jar.header()).toBe("a=1");
  });
});
