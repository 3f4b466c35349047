import type { ReactNode } from "react";

// The sign-in and sign-up pages share one narrow column: forms read best at about 60
// characters, and the provider grid's two columns still fit their labels at that width.
export default function AuthLayout({ children }: Readonly<{ children: ReactNode }>) {
  return (
    <div className="mx-auto w-full max-w-page px-5 py-12 sm:px-8 sm:py-20">
      <div className="mx-auto w-full max-w-xl">{children}</div>
    </div>
  );
}
