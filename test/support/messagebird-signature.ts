import { SignJWT } from 'jose';
import { createHash, randomUUID } from 'node:crypto';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A MessageBird-Signature-JWT as MessageBird makes it, over the exact URL it calls. */
export async function signWebhook(url: string, key: string, options: { expiresAt?: number; payload?: string } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, string> = { url_hash: sha256(url) };
  if (options.payload !== undefined) claims.payload_hash = sha256(options.payload);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer('MessageBird')
    .setJti(randomUUID())
    .setIssuedAt(options.expiresAt ? options.expiresAt - 60 : now)
    .setNotBefore(options.expiresAt ? options.expiresAt - 60 : now)
    .setExpirationTime(options.expiresAt ?? now + 300)
    .sign(new TextEncoder().encode(key));
}
