// The callback signatures Auth.js expects, so each factory's result is checked against them.
import type { NextAuthConfig } from "next-auth";

type Callbacks = NonNullable<NextAuthConfig["callbacks"]>;

export type SignInCallback = NonNullable<Callbacks["signIn"]>;
export type JwtCallback = NonNullable<Callbacks["jwt"]>;
export type SessionCallback = NonNullable<Callbacks["session"]>;
