// The small page a refused browser gets (429 from the limits, 413/403/400 from the request
// gate): the same look for every refusal, in one place.

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A page with no script and no asset but the icon (exempt from the limits, and asked for
 * anyway): a refused browser should not come back for CSS and fonts, each another request
 * against the same limit. The inline style is allowed by the CSP's style-src.
 */
export function plainPage(title: string, message: string, requestId: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><link rel="icon" href="/icon.svg"><title>${escapeHtml(title)} — Gatehouse</title>
<style>
:root{color-scheme:light dark;font-family:system-ui,sans-serif}
body{margin:0;min-height:100vh;display:grid;place-items:center;padding:1.25rem;box-sizing:border-box}
main{max-width:32rem}h1{font-size:2rem;margin:0 0 .75rem}p{font-size:1.125rem;line-height:1.5}
a{font-weight:700}small{opacity:.7}
</style></head>
<body><main><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>
<p><a href="/">Go to the home page</a></p>
<p><small>Reference: ${escapeHtml(requestId)}</small></p></main></body></html>`;
}
