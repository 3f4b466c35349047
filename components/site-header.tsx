import Link from "next/link";

/** The product mark: a stylised gate. Decorative; the link's text names it. */
function GatehouseMark() {
  return (
    <svg
      viewBox="0 0 24 24"
      aria-hidden="true"
      focusable="false"
      className="size-7 shrink-0 text-brand"
      fill="none"
      stroke="currentColor"
      strokeWidth="2.25"
      strokeLinecap="round"
      strokeLinejoin="round"
    >
      <path d="M4 21V8l8-5 8 5v13" />
      <path d="M9 21v-6a3 3 0 0 1 6 0v6" />
    </svg>
  );
}

export function SiteHeader() {
  return (
    <header className="border-b border-border">
      <div className="mx-auto flex w-full max-w-page items-center justify-between gap-4 px-5 py-4 sm:px-8">
        <Link
          href="/"
          className="-m-1 flex items-center gap-2 rounded-control p-1 text-lg font-black tracking-tight"
        >
          <GatehouseMark />
          Gatehouse
        </Link>
        {/* The sign-in link and, once signed in, the account menu go here (issue 3). */}
      </div>
    </header>
  );
}
