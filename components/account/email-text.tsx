import { Fragment } from "react";

/**
 * An email address that wraps where a reader expects it to: after the "@" and before a
 * dot, as style guides suggest, instead of in the middle of a word. The caller still sets
 * an overflow-wrap fallback for a single part too long for the line.
 */
export function EmailText({ email }: { email: string }) {
  const parts = email.split(/(?=\.)|(?<=@)/);
  return (
    <>
      {parts.map((part, index) => (
        <Fragment key={index}>
          {index > 0 ? <wbr /> : null}
          {part}
        </Fragment>
      ))}
    </>
  );
}
