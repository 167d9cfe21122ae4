/**
 * A small seeded PRNG (mulberry32) and the helpers the case generator needs. Deterministic:
 * the same seed yields the same cases on every machine, so runs compare.
 */

/** mulberry32: 32-bit state, period 2^32, good enough to vary benchmark input. */
export function mulberry32(seed) {
  let state = seed >>> 0;
  return function next() {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Wraps a PRNG with integer, choice and coin-flip helpers. */
export function randomSource(seed) {
  const next = mulberry32(seed);
  return {
    /** A float in [0, 1). */
    next,
    /** An integer in [min, max], both inclusive. */
    int(min, max) {
      return min + Math.floor(next() * (max - min + 1));
    },
    /** One element of a non-empty array. */
    pick(items) {
      return items[Math.floor(next() * items.length)];
    },
    /** true with probability p. */
    chance(p) {
      return next() < p;
    },
  };
}
