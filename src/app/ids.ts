/** Identifiers: a prefix naming the kind, then a time-ordered, unguessable body. */
import { randomBytes } from 'node:crypto';

/** Random bytes for ids and keys, drawn a few kilobytes at a time: one CSPRNG call per 512 ids. */
const ID_POOL_BYTES = 4096;
const ID_RANDOM_BYTES = 8;
let idPool = randomBytes(ID_POOL_BYTES);
let idPoolOffset = 0;

/** `byteCount` random bytes as hex, from the pool (at most 64 bytes: a pool serves many). */
export function randomHex(byteCount: number): string {
  if (!Number.isInteger(byteCount) || byteCount < 1 || byteCount > 64) {
    throw new Error(`randomHex takes 1 to 64 bytes, not ${byteCount}`);
  }
  if (idPoolOffset + byteCount > idPool.length) {
    idPool = randomBytes(ID_POOL_BYTES);
    idPoolOffset = 0;
  }
  const hex = idPool.toString('hex', idPoolOffset, idPoolOffset + byteCount);
  idPoolOffset += byteCount;
  return hex;
}

/** `rr_0mh3k2x8a1b2c3d4e5f6a7b8c9` style: 10 base-36 chars of time, 16 hex chars of randomness. */
export function newId(prefix: string, nowMs: number): string {
  return `${prefix}_${nowMs.toString(36).padStart(10, '0')}${randomHex(ID_RANDOM_BYTES)}`;
}

/** A secret token for links and sessions: 32 random bytes, base64url. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}
