// An OpenID Connect provider's id_token signing: one RS256 key pair per fake, its public half
// published as a JWKS, and the JWTs it signs carrying that key's id.
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  SignJWT,
  type JWK,
  type JWTPayload,
} from "jose";

export interface SigningKey {
  /** What the provider's jwks_uri answers: the public key only, with kid, alg and use. */
  jwks: { keys: JWK[] };
  /** A compact JWS of `claims`, RS256, with `kid` and `typ: "JWT"` in the header. */
  sign(claims: JWTPayload): Promise<string>;
}

/**
 * A fresh key for one provider of one fake: a client that caches the JWKS across restarts
 * would fail, as it would after the real provider rotates its keys.
 */
export async function createSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return {
    jwks: { keys: [{ ...jwk, kid, alg: "RS256", use: "sig" }] },
    sign: (claims) =>
      new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid, typ: "JWT" }).sign(privateKey),
  };
}
