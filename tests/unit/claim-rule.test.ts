// The claim rule must name every model that refers to a person (lib/auth/claim.ts). The
// rule is typed over Prisma's model list, so a new model fails `tsc` until it has a
// treatment; this test reads the schema itself, so that a model with a relation to User can
// never be waved through as "unrelated", and the rule cannot name models that do not exist.
import { readFileSync } from "node:fs";

import { describe, expect, it } from "vitest";

import { CLAIM_RULE, type ClaimTreatment } from "@/lib/auth/claim";

const schema = readFileSync(new URL("../../prisma/schema.prisma", import.meta.url), "utf8");

/** Each model's name and the types of its fields, from the schema's text. */
function models(source: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const match of source.matchAll(/^model\s+(\w+)\s*\{([\s\S]*?)^\}/gm)) {
    const [, name = "", body = ""] = match;
    const types = body
      .split("\n")
      .map((line) => line.replace(/\/\/.*$/, "").trim())
      .filter((line) => line !== "" && !line.startsWith("@@"))
      .map((line) => (line.split(/\s+/)[1] ?? "").replace(/[?[\]]/g, ""));
    found.set(name, types);
  }
  return found;
}

const schemaModels = models(schema);
const rule: Record<string, ClaimTreatment> = CLAIM_RULE;

describe("the claim rule covers the schema", () => {
  it("reads the schema (the parser finds the models we know)", () => {
    expect([...schemaModels.keys()]).toEqual(
      expect.arrayContaining(["User", "Account", "Session", "TelegramLink"]),
    );
    expect(schemaModels.get("Account")).toContain("User");
  });

  it("names exactly the schema's models", () => {
    expect(Object.keys(rule).sort()).toEqual([...schemaModels.keys()].sort());
  });

  it.each([...schemaModels].filter(([, types]) => types.includes("User")))(
    "%s refers to a user and is handled, not left alone",
    (name) => {
      expect(rule[name]).toBeDefined();
      expect(rule[name]).not.toBe("unrelated");
    },
  );

  it("User itself is the account being claimed", () => {
    expect(rule.User).toBe("reset-profile");
  });

  it("passkeys and their registrations under way are taken from the previous holder", () => {
    // A sign-in challenge has no user, a registration's has one: the optional relation counts.
    expect(schemaModels.get("Passkey")).toContain("User");
    expect(schemaModels.get("WebAuthnChallenge")).toContain("User");
    expect([rule.Passkey, rule.WebAuthnChallenge]).toEqual(["delete", "delete"]);
  });

  it("the parser would notice a new model that refers to a user", () => {
    const withNew = models(
      `${schema}\nmodel LoginHint {\n  id String @id\n  userId String\n  user User @relation(fields: [userId], references: [id])\n}\n`,
    );
    expect(withNew.get("LoginHint")).toContain("User");
    expect(Object.keys(rule)).not.toContain("LoginHint");
  });
});
