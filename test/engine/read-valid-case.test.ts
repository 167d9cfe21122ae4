/**
 * The fast path of reading a case (`readValidCase`) against the full path (`readCaseFully`:
 * Ajv and section 2), the authority. Whenever the fast path returns facts, the full path must
 * accept the same input and return equal facts; on the valid seeds it must not give up.
 */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCaseFully } from '../../src/engine/read-case.js';
import { readValidCase } from '../../src/engine/read-valid-case.js';
import {
  caseAfterWindowWithIncident,
  caseWithExcludedCauseReport,
  caseWithIncidentBasis,
  caseWithPendingServiceReport,
  eligibleCase,
  incident,
  legallyRequiredCase,
  priorOrder,
  report,
  tweak,
} from '../support/cases.js';

const EXAMPLES = new URL('../fixtures/examples/', import.meta.url);

/** Valid cases that use every field, every default and both forms of every nullable. */
function validSeeds(): unknown[] {
  const examples = readdirSync(EXAMPLES)
    .filter((name) => name.endsWith('.case.json'))
    .map((name) => JSON.parse(readFileSync(new URL(name, EXAMPLES), 'utf8')) as unknown);
  const full = eligibleCase({
    priorOrders: [
      priorOrder(),
      priorOrder({ id: 'ord_p2', refundedAt: null, refundKind: 'compensation' }),
    ],
    reports: [report(), report({ cause: 'undetermined', remediatedAt: null })],
    incidents: [
      incident({ products: ['all'] }),
      incident({ id: 'inc_2', endsAt: null, confirmedAt: null }),
    ],
    chargebacks: [{ status: 'won' }, { status: 'withdrawn' }],
    order: { compensatedIncidentIds: ['inc_x', 'inc_y'], promoCreditsCents: 100 },
  });
  const sparse = tweak(eligibleCase(), (c) => {
    const loose = c as unknown as Record<string, Record<string, unknown>>;
    for (const key of ['priorOrders', 'reports', 'incidents', 'chargebacks', 'account']) {
      Reflect.deleteProperty(loose, key);
    }
    for (const key of ['promoCreditsCents', 'refundedCents', 'compensatedIncidentIds']) {
      Reflect.deleteProperty(loose['order'] ?? {}, key);
    }
    Reflect.deleteProperty(loose['request'] ?? {}, 'legallyRequired');
  });
  return [
    ...examples,
    full,
    sparse,
    eligibleCase({ account: {} as never }),
    caseAfterWindowWithIncident(),
    caseWithExcludedCauseReport(),
    caseWithIncidentBasis(),
    caseWithPendingServiceReport(),
    legallyRequiredCase(),
  ];
}

/** Every path into a JSON value, parents before children. */
function pathsOf(
  value: unknown,
  prefix: Array<string | number> = [],
): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [prefix];
  if (Array.isArray(value)) {
    value.forEach((item, index) => out.push(...pathsOf(item, [...prefix, index])));
    out.push([...prefix, value.length]);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) out.push(...pathsOf(item, [...prefix, key]));
    out.push([...prefix, 'extra']);
  }
  return out;
}

const DELETE = Symbol('delete');
const INTERESTING: unknown[] = [
  DELETE,
  undefined,
  null,
  true,
  false,
  0,
  -1,
  1,
  1.5,
  3661,
  2 ** 53,
  Number.NaN,
  '',
  'x',
  'x'.repeat(128),
  'x'.repeat(129),
  '😀'.repeat(64),
  'all',
  'usd',
  'USD',
  'card',
  'crypto',
  'reseller',
  'service',
  'open',
  'lost',
  'compensation',
  'datacenter',
  '2026-03-01T00:00:00Z',
  '2026-03-05T00:00:00.000+08:00',
  '2030-01-01T00:00:00Z',
  '2019-01-01T00:00:00Z',
  '2026-02-30T00:00:00Z',
  '2026-03-01T00:00:00',
  '2026-03-01T00:00:00.0001Z',
  {},
  [],
  ['all'],
  ['inc_x', 'inc_x'],
  [{ status: 'open' }],
];

function mutate(seed: unknown, edits: ReadonlyArray<readonly [number, number]>): unknown {
  const copy = structuredClone(seed);
  let root: unknown = copy;
  for (const [pathIndex, valueIndex] of edits) {
    const paths = pathsOf(root);
    const path = paths[pathIndex % paths.length] ?? [];
    const picked = INTERESTING[valueIndex % INTERESTING.length];
    // A fresh copy: a later edit must not reach into the pool, nor make a cycle.
    const value = typeof picked === 'object' ? structuredClone(picked) : picked;
    if (path.length === 0) {
      root = value === DELETE ? undefined : value;
      continue;
    }
    let parent: unknown = root;
    for (const step of path.slice(0, -1)) parent = (parent as Record<string, unknown>)[step];
    const last = path[path.length - 1] as string | number;
    if (typeof parent !== 'object' || parent === null) continue;
    if (value === DELETE) Reflect.deleteProperty(parent, last);
    else (parent as Record<string | number, unknown>)[last] = value;
  }
  return root;
}

describe('readValidCase', () => {
  const seeds = validSeeds();

  it('reads every valid seed itself, to the facts the full path reads', () => {
    for (const seed of seeds) {
      const full = readCaseFully(seed, 'all');
      expect(full.ok).toBe(true);
      expect(readValidCase(seed)).toEqual(full.ok ? full.value : undefined);
    }
  });

  it('never accepts what the full path refuses, and never reads other facts', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 3 }),
        (seed, edits) => {
          const input = mutate(seed, edits);
          const fast = readValidCase(input);
          const full = readCaseFully(input, 'all');
          if (fast === undefined) {
            refused += 1;
            return;
          }
          accepted += 1;
          expect(full.ok).toBe(true);
          if (full.ok) expect(fast).toEqual(full.value);
        },
      ),
      { numRuns: 20_000 },
    );
    // Both sides of the property were exercised.
    expect(accepted).toBeGreaterThan(300);
    expect(refused).toBeGreaterThan(1_000);
  });

  it('gives up on an explicit undefined field, which the full path then accepts', () => {
    const input = { ...eligibleCase(), chargebacks: undefined };
    expect(readValidCase(input)).toBeUndefined();
    expect(readCaseFully(input).ok).toBe(true);
  });
});
