/**
 * Ids and random keys (app/ids.ts): time-ordered ids with random tails, and random hex drawn
 * from a pool that is refilled from the CSPRNG, never handing out the same bytes twice.
 */
import { describe, expect, it } from 'vitest';
import { newId, randomHex } from '../../src/app/ids.js';

describe('ids and random keys', () => {
  it('draws distinct random hex of the asked length across many pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i += 1) {
      const hex = randomHex(16);
      expect(hex).toMatch(/^[0-9a-f]{32}$/);
      seen.add(hex);
    }
    expect(seen.size).toBe(10_000);
  });

  it('refuses byte counts outside 1..64', () => {
    for (const bad of [0, -1, 65, 1.5]) expect(() => randomHex(bad)).toThrow(/1 to 64 bytes/);
  });

  it('orders ids by time and gives each a random tail', () => {
    const a = newId('rr', 1_000);
    const b = newId('rr', 2_000);
    expect(a < b).toBe(true);
    expect(a).toMatch(/^rr_[0-9a-z]{10}[0-9a-f]{16}$/);
    expect(newId('rr', 1_000)).not.toBe(a);
  });
});
