export function SiteFooter() {
  return (
    <footer className="border-t border-border">
      <div className="mx-auto flex w-full max-w-page flex-wrap items-center justify-between gap-x-6 gap-y-2 px-5 py-6 text-sm text-muted sm:px-8">
        <p>Gatehouse — sign-in you can see into.</p>
        <p>Open source, self-hosted or on Vercel.</p>
      </div>
    </footer>
  );
}
