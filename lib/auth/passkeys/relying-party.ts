// The relying party: who the passkeys belong to. Browsers bind every passkey to an RP ID (a
// domain) and sign the page's origin into every response, so both come from APP_URL and
// from nothing else — never from a Host or X-Forwarded-Host header, which a client chooses.
//
// What that means for moving domains (docs/passkeys.md): passkeys made for example.com work
// on example.com and its subdomains' pages only if the RP ID stays example.com; changing
// APP_URL to another domain makes every existing passkey unusable there.

export interface RelyingParty {
  /** The RP ID: APP_URL's host name, without port ("example.com", "localhost"). */
  rpID: string;
  /** Shown by the browser and the password manager next to the passkey ("Gatehouse"). */
  rpName: string;
  /** APP_URL's origin ("https://example.com", "http://localhost:3000"): no path. */
  origin: string;
}

/** Why APP_URL cannot have passkeys, or null when it can. */
export function relyingPartyProblem(appUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(appUrl);
  } catch {
    return "APP_URL is not a URL";
  }
  const host = url.hostname;
  // Browsers refuse an IP address as an RP ID: it must be a domain.
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.startsWith("[")) {
    return "passkeys need APP_URL to name a domain, not an IP address (use localhost in development)";
  }
  // WebAuthn runs only in secure contexts: https, or http on localhost (and *.localhost).
  const loopback = host === "localhost" || host.endsWith(".localhost");
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    return "passkeys need APP_URL to be https:// (http:// only on localhost)";
  }
  return null;
}

/**
 * The relying party for APP_URL. Throws when browsers would refuse passkeys there (an IP
 * address, or http:// off localhost): the caller then leaves passkeys off rather than
 * offering a button that cannot work.
 */
export function relyingParty(appUrl: string, name: string): RelyingParty {
  const problem = relyingPartyProblem(appUrl);
  if (problem !== null) throw new Error(problem);
  if (name.trim() === "") throw new Error("the relying party needs a name");
  const url = new URL(appUrl);
  return { rpID: url.hostname, rpName: name, origin: url.origin };
}
