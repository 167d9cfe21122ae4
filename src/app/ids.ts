/** Identifiers: a prefix naming the kind, then a time-ordered, unguessable body. */
import { randomBytes } from 'node:crypto';

/** `rr_0mh3k2x8a1b2c3d4e5f6a7b8c9` style: 10 base-36 chars of time, 16 hex chars of randomness. */
export function newId(prefix: string, nowMs: number): string {
  return `${prefix}_${nowMs.toString(36).padStart(10, '0')}${randomBytes(8).toString('hex')}`;
}

/** A secret token for links and sessions: 32 random bytes, base64url. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}
