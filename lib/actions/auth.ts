"use server";
// Sign-in, sign-up and sign-out actions behind the forms on /sign-in, /sign-up and the
// header. They parse input, call lib/auth, and shape a safe answer; nothing here echoes a
// password back or says which half of a credential was wrong.
import { AuthError } from "next-auth";
import { isRedirectError } from "next/dist/client/components/redirect-error";
import { cookies } from "next/headers";
import { auth, signIn, signOut } from "@/lib/root/auth";
import { PASSWORD_PROVIDER_ID } from "@/lib/auth/config";
import { configuredProviders } from "@/lib/auth/providers";
import { safeRedirectPath } from "@/lib/auth/redirect";
import { registerWithPassword } from "@/lib/auth/registration";
import { messages, signInSchema, signUpSchema } from "@/lib/auth/schemas";
import { PasswordSignInRefused } from "@/lib/auth/sign-in-refusal";
import { requestContext } from "@/lib/http/request-context";
import { refusalFrom, refusalMessage } from "@/lib/security/password-guard";
import { getServices } from "@/lib/root";

export interface FormState {
  status: "idle" | "error";
  /** A message for the whole form (shown in an alert region). */
  message?: string;
  fieldErrors?: Partial<Record<"email" | "password" | "name", string>>;
  /** Kept so the form does not lose what was typed — never the password. */
  values?: { email?: string; name?: string };
}

const GENERIC_SIGN_IN_ERROR = "That email and password do not match an account.";
const FIX_FIELDS = "Please fix the highlighted fields.";

/** The schemas' control-character refusals, which the sign-in form shows at their field. */
const controlCharacterMessages = new Set<string>([
  messages.emailControlCharacters,
  messages.passwordNul,
]);

function field(formData: FormData, name: string): string {
  const value = formData.get(name);
  return typeof value === "string" ? value : "";
}

function target(formData: FormData): string {
  return safeRedirectPath(field(formData, "callbackUrl"), getServices().settings.appUrl);
}

async function failWithReference(error: unknown, what: string): Promise<FormState> {
  const { requestId } = await requestContext();
  getServices().logger.error(`${what} failed`, { error, requestId });
  return {
    status: "error",
    message: `Something went wrong on our side. Please try again. (Reference: ${requestId})`,
  };
}

/** Auth.js's session cookie, plain or __Secure- prefixed, whole or in chunks (".0", ".1"). */
const SESSION_COOKIE = /^(__Secure-)?authjs\.session-token(\.\d+)?$/;

/**
 * Drops a session cookie that no longer names a valid session (revoked, expired, from an
 * old secret). Auth.js's OAuth callback decodes that cookie without our revocation check
 * and would take its owner as the one linking, refusing a different person's sign-in.
 */
async function dropDeadSessionCookie(): Promise<void> {
  if (await auth()) return;
  const jar = await cookies();
  for (const { name } of jar.getAll()) {
    if (!SESSION_COOKIE.test(name)) continue;
    // A __Secure- cookie can only be overwritten by a Secure one, so say so explicitly.
    jar.set(name, "", { path: "/", maxAge: 0, secure: name.startsWith("__Secure-") });
  }
}

export async function signInWithProviderAction(formData: FormData): Promise<void> {
  const provider = field(formData, "provider");
  const known = configuredProviders(getServices().settings.auth).some((p) => p.id === provider);
  // An unknown provider id is a tampered form; Auth.js would answer with a
  // configuration error, so send it to the same place with a precise code instead.
  if (!known) {
    const { redirect } = await import("next/navigation");
    redirect("/auth/error?error=UnknownProvider");
  }
  await dropDeadSessionCookie();
  await signIn(provider, { redirectTo: target(formData) });
}

export async function signInWithPasswordAction(
  _previous: FormState,
  formData: FormData,
): Promise<FormState> {
  const email = field(formData, "email");
  const parsed = signInSchema.safeParse({ email, password: field(formData, "password") });
  if (!parsed.success) {
    // A control character is about what was typed, not about any account, so it may be
    // named at its field; every other refusal keeps the one generic answer.
    const fieldErrors: FormState["fieldErrors"] = {};
    for (const issue of parsed.error.issues) {
      const key = issue.path[0];
      if (controlCharacterMessages.has(issue.message) && (key === "email" || key === "password")) {
        fieldErrors[key] ??= issue.message;
      }
    }
    if (fieldErrors.email || fieldErrors.password) {
      return { status: "error", message: FIX_FIELDS, fieldErrors, values: { email } };
    }
    return { status: "error", message: GENERIC_SIGN_IN_ERROR, values: { email } };
  }
  try {
    await signIn(PASSWORD_PROVIDER_ID, {
      email: parsed.data.email,
      password: parsed.data.password,
      redirectTo: target(formData),
    });
    return { status: "idle" };
  } catch (error) {
    if (isRedirectError(error)) throw error;
    // Too many attempts, or the limiter could not decide: say so, and when to come back.
    if (error instanceof PasswordSignInRefused) {
      return {
        status: "error",
        message: refusalMessage(error.refusal, "sign you in"),
        values: { email },
      };
    }
    if (error instanceof AuthError && error.type === "CredentialsSignin") {
      return { status: "error", message: GENERIC_SIGN_IN_ERROR, values: { email } };
    }
    return failWithReference(error, "password sign-in");
  }
}

export async function signUpAction(_previous: FormState, formData: FormData): Promise<FormState> {
  const values = { email: field(formData, "email"), name: field(formData, "name") };
  const parsed = signUpSchema.safeParse({
    email: values.email,
    password: field(formData, "password"),
    name: values.name || undefined,
  });
  if (!parsed.success) {
    const fieldErrors: FormState["fieldErrors"] = {};
    for (const issue of parsed.error.issues) {
      const key = issue.path[0];
      if ((key === "email" || key === "password" || key === "name") && !fieldErrors[key]) {
        fieldErrors[key] = issue.message;
      }
    }
    // Before the sign-up limit below: a refused form (a control character in the name, say)
    // spends none of the per-IP budget.
    return { status: "error", message: FIX_FIELDS, fieldErrors, values };
  }
  try {
    const context = await requestContext();
    const { limiter, database } = getServices();
    // Counted once the form is valid, taken emails included: probing which emails have an
    // account through sign-up is what this limit slows down.
    const decision = await limiter.limit("signUpIp", context.ip ?? "unknown");
    if (!decision.allowed) {
      const refusal = refusalFrom(decision, Date.now());
      return { status: "error", message: refusalMessage(refusal, "create your account"), values };
    }
    const result = await registerWithPassword(database.prisma, { ...parsed.data, ...context });
    if (!result.ok) {
      return { status: "error", message: messages.emailTaken, values };
    }
    await signIn(PASSWORD_PROVIDER_ID, {
      email: parsed.data.email,
      password: parsed.data.password,
      redirectTo: target(formData),
    });
    return { status: "idle" };
  } catch (error) {
    if (isRedirectError(error)) throw error;
    // The account exists; only the sign-in that follows was refused (its IP limit is used up).
    if (error instanceof PasswordSignInRefused) {
      const message = `Your account is ready, but we couldn't sign you in yet. ${refusalMessage(error.refusal, "sign you in")}`;
      return { status: "error", message, values };
    }
    return failWithReference(error, "sign-up");
  }
}

export async function signOutAction(): Promise<void> {
  await signOut({ redirectTo: "/" });
}
