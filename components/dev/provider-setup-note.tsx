import type { ReactNode } from "react";

import type { ProviderSetupNote as Note } from "@/lib/auth/providers";

const codeClass = "text-[0.8125rem]";

const code = (text: string): ReactNode => <code className={codeClass}>{text}</code>;

/**
 * Development only (lib/auth/providers.ts providerSetupNote decides): says that the provider
 * buttons are stand-ins, or that there are none, and which variables turn on the real
 * providers. People using a deployed site never see it.
 */
export function ProviderSetupNote({ note, className }: { note: Note; className?: string }) {
  const all = note.missing.length === 3;
  return (
    <aside
      aria-labelledby="provider-setup-note-title"
      className={`rounded-control border border-dashed border-border px-4 py-3 text-sm ${className ?? ""}`}
    >
      <p id="provider-setup-note-title" className="font-bold">
        {note.standIns
          ? "Development stand-ins"
          : all
            ? "No sign-in provider configured"
            : "Some providers are not configured"}
        <span className="font-normal text-muted"> · shown in development only</span>
      </p>
      <p className="mt-1 text-muted">
        {note.standIns ? (
          <>
            These buttons lead to a local stand-in that {code("npm run dev")} started, where you
            pick who signs in. To use the real providers, set in {code(".env.local")}:
          </>
        ) : all ? (
          <>
            Start the app with {code("npm run dev")} for development stand-ins, or set in{" "}
            {code(".env.local")}:
          </>
        ) : (
          <>To turn on the others, set in {code(".env.local")}:</>
        )}
      </p>
      <ul className="mt-2 space-y-1">
        {note.missing.map((provider) => (
          <li key={provider.id} className="break-words">
            <span className="font-semibold">{provider.name}</span>
            {": "}
            {provider.variables.map((variable, index) => (
              <span key={variable}>
                {index > 0 ? ", " : null}
                {code(variable)}
              </span>
            ))}
          </li>
        ))}
      </ul>
      <p className="mt-2 text-muted">
        Where to register each app: {code("docs/sign-in.md")}, “Providers”.
      </p>
    </aside>
  );
}
