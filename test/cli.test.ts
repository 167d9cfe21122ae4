/**
 * The command line, end to end: spawns the real bin (`node bin/refund-desk.js`, built from
 * src/ by test/support/build-dist.ts) and checks exit codes, stdout and stderr byte for byte
 * where the contract fixes them. No timings here: figures come from `npm run bench`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide, formatMoney, loadPolicy, type Decision } from '../src/index.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const BIN = join(root, 'bin', 'refund-desk.js');
const EXAMPLES = join(root, 'test', 'fixtures', 'examples');
const SHIPPED_POLICY = join(root, 'policies', 'okkproxy', 'v1.json');

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the bin with `args`; `input` goes to its standard input. */
function cli(args: readonly string[], input?: string): Run {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: root,
    encoding: 'utf8',
    input: input ?? '',
    timeout: 20_000,
  });
  if (result.error !== undefined) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const STACK_FRAME = /^\s+at\s/m;

/** Exit 2, nothing on stdout, exactly one line on stderr, no stack trace; returns the line. */
function expectOneLineFailure(run: Run): string {
  expect(run.status, `stderr: ${run.stderr}`).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr.endsWith('\n'), JSON.stringify(run.stderr)).toBe(true);
  const line = run.stderr.slice(0, -1);
  expect(line).not.toContain('\n');
  expect(line.trim()).not.toBe('');
  expect(run.stderr).not.toMatch(STACK_FRAME);
  expect(run.stderr).not.toMatch(/internal error/);
  return line;
}

/** A usage error (commander): exit 2, nothing on stdout, no stack; stderr names `what`. */
function expectUsageFailure(run: Run, what: string): void {
  expect(run.status, `stderr: ${run.stderr}`).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr.split('\n')[0]).toContain(what);
  expect(run.stderr).not.toMatch(STACK_FRAME);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The invalid-case failure, naming `pointer` (RFC 6901; "" is the whole document). */
function expectInvalidCase(run: Run, pointer: string): string {
  const line = expectOneLineFailure(run);
  const named = pointer === '' ? '(the document)' : pointer;
  expect(line).toMatch(new RegExp(`^refund-desk: invalid case: ${escapeRegExp(named)}: \\S`));
  return line;
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

const exampleNames = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith('.case.json'))
  .map((f) => f.replace(/\.case\.json$/, ''))
  .sort();

function examplePath(name: string): string {
  return join(EXAMPLES, `${name}.case.json`);
}

/** Parsed JSON that a test changes freely (fields of any type, including invalid ones). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests poke at arbitrary fields
type Mutable = any;

/** A fresh, mutable copy of an example case. */
function exampleCase(name = 'full-refund-unremediated-report'): Mutable {
  return readJson(examplePath(name));
}

/** The shipped policy document, as a mutable copy. */
function shippedPolicyDocument(): Mutable {
  return readJson(SHIPPED_POLICY);
}

let tmp = '';
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'refund-desk-cli-'));
});
afterAll(() => {
  if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
});

function writeTemp(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

describe('refund-desk decide: the contract examples', () => {
  it('finds the examples', () => {
    expect(exampleNames.length).toBeGreaterThanOrEqual(7);
  });

  for (const name of exampleNames) {
    const input = (): unknown => readJson(examplePath(name));

    it(`${name}: decide FILE prints decide()'s JSON and exits 0`, () => {
      const run = cli(['decide', examplePath(name)]);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout).toBe(`${JSON.stringify(decide(input()))}\n`);
      const expected = readJson(join(EXAMPLES, `${name}.expected.json`)) as { outcome: string };
      expect((JSON.parse(run.stdout) as Decision).outcome).toBe(expected.outcome);
    });

    it(`${name}: decide - reads the same case from standard input`, () => {
      const run = cli(['decide', '-'], readFileSync(examplePath(name), 'utf8'));
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout).toBe(`${JSON.stringify(decide(input()))}\n`);
    });
  }

  it('prints the same bytes on every run (no clock is read)', () => {
    const first = cli(['decide', examplePath('pending-remediation-window')]);
    const second = cli(['decide', examplePath('pending-remediation-window')]);
    expect(first.status).toBe(0);
    expect(second.stdout).toBe(first.stdout);
  });
});

describe('refund-desk decide --explain', () => {
  const HEADLINE: Readonly<Record<Decision['outcome'], RegExp>> = {
    full_refund: /full refund/i,
    prorata: /pro-rata/i,
    pending: /pending/i,
    manual_review: /manual review/i,
    denied: /denied/i,
  };
  const clauses = (shippedPolicyDocument() as { clauses: Record<string, { text: string }> })
    .clauses;

  for (const name of exampleNames) {
    it(`${name}: outcome and amount first, then one line per reason with its clause text`, () => {
      const decision = decide(readJson(examplePath(name)));
      const run = cli(['decide', '--explain', examplePath(name)]);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout.endsWith('\n')).toBe(true);
      expect(run.stdout.trimStart().startsWith('{')).toBe(false);
      const lines = run.stdout.slice(0, -1).split('\n');
      const headline = lines[0] ?? '';
      expect(headline).toMatch(HEADLINE[decision.outcome]);
      if (decision.refundCents > 0) {
        expect(headline).toContain(formatMoney(decision.refundCents, decision.currency));
      }
      if (decision.outcome === 'prorata') {
        expect(headline).toContain(`${decision.extensionDays} day`);
      }
      if (decision.decidableAt !== null) expect(headline).toContain(decision.decidableAt);
      expect(run.stdout).toContain(decision.policyVersion);

      const reasonLines = lines.filter((line) =>
        decision.reasons.some((r) => line.includes(r.code)),
      );
      expect(reasonLines).toHaveLength(decision.reasons.length);
      decision.reasons.forEach((reason, i) => {
        const line = reasonLines[i] ?? '';
        expect(line).toContain(reason.code);
        expect(line).toContain(reason.message);
        expect(line).toContain(`clause ${reason.clause}`);
        expect(line).toContain(clauses[reason.clause]?.text ?? '(no clause text)');
      });
    });
  }

  it('explains a case read from standard input', () => {
    const text = readFileSync(examplePath('denied-crypto'), 'utf8');
    const run = cli(['decide', '--explain', '-'], text);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Denied/);
    expect(run.stdout).toContain('CRYPTO_PAYMENT');
  });

  it('fails on an invalid case like decide does: exit 2, one line, nothing on stdout', () => {
    const c = exampleCase();
    c.order.amountCents = -1;
    expectInvalidCase(cli(['decide', '--explain', '-'], JSON.stringify(c)), '/order/amountCents');
  });
});

interface InvalidCase {
  readonly kind: string;
  readonly pointer: string;
  /** Changes a valid case into the invalid one. */
  readonly mutate?: (c: Mutable) => Mutable;
  /** Or the raw standard input. */
  readonly text?: string;
}

const INVALID: readonly InvalidCase[] = [
  // Not JSON at all.
  { kind: 'not JSON: truncated', pointer: '', text: '{"evaluatedAt": ' },
  { kind: 'not JSON: empty input', pointer: '', text: '' },
  { kind: 'not JSON: single quotes', pointer: '', text: "{'order': 1}" },
  { kind: 'not JSON: trailing garbage', pointer: '', text: '{} x' },
  {
    // The parser's message quotes the input; its line breaks must not reach stderr.
    kind: 'not JSON: a bad token in a multi-line document',
    pointer: '',
    text: '{\n  "evaluatedAt": \'2026-05-22T09:30:00Z\',\n  "order": {}\n}\n',
  },
  // Wrong type, at the top and deeper.
  { kind: 'wrong type: the document is an array', pointer: '', mutate: () => [] },
  { kind: 'wrong type: the document is null', pointer: '', mutate: () => null },
  { kind: 'wrong type: the document is a string', pointer: '', mutate: () => 'case' },
  {
    kind: 'wrong type: amount as a string',
    pointer: '/order/amountCents',
    mutate: (c) => ({ ...c, order: { ...c.order, amountCents: '8800' } }),
  },
  {
    kind: 'wrong type: order is a string',
    pointer: '/order',
    mutate: (c) => ({ ...c, order: 'ord_9001' }),
  },
  {
    kind: 'wrong type: usage.requests is a boolean',
    pointer: '/usage/requests',
    mutate: (c) => ({ ...c, usage: { ...c.usage, requests: true } }),
  },
  {
    kind: 'wrong type: reports is an object',
    pointer: '/reports',
    mutate: (c) => ({ ...c, reports: {} }),
  },
  {
    kind: 'wrong type: account.tosBreach is a string',
    pointer: '/account/tosBreach',
    mutate: (c) => ({ ...c, account: { tosBreach: 'no' } }),
  },
  {
    kind: 'wrong type: evaluatedAt is a number',
    pointer: '/evaluatedAt',
    mutate: (c) => ({ ...c, evaluatedAt: 1_747_900_000_000 }),
  },
  {
    kind: 'enum: unknown channel',
    pointer: '/order/channel',
    mutate: (c) => ({ ...c, order: { ...c.order, channel: 'ebay' } }),
  },
  {
    kind: 'enum: unknown report cause',
    pointer: '/reports/0/cause',
    mutate: (c) => {
      c.reports[0].cause = 'gremlins';
      return c;
    },
  },
  {
    kind: 'pattern: lower-case currency',
    pointer: '/order/currency',
    mutate: (c) => ({ ...c, order: { ...c.order, currency: 'usd' } }),
  },
  // Required fields.
  {
    kind: 'missing: order.planId',
    pointer: '/order/planId',
    mutate: (c) => {
      delete c.order.planId;
      return c;
    },
  },
  {
    kind: 'missing: request',
    pointer: '/request',
    mutate: (c) => {
      delete c.request;
      return c;
    },
  },
  // Unknown fields.
  { kind: 'unknown field: top level', pointer: '/notes', mutate: (c) => ({ ...c, notes: 'hi' }) },
  {
    kind: 'unknown field: in order',
    pointer: '/order/discountCents',
    mutate: (c) => ({ ...c, order: { ...c.order, discountCents: 100 } }),
  },
  {
    kind: 'unknown field: in a report',
    pointer: '/reports/0/severity',
    mutate: (c) => {
      c.reports[0].severity = 'high';
      return c;
    },
  },
  {
    kind: 'unknown field: name with / and ~ is escaped in the pointer',
    pointer: '/order/a~1b~0c',
    mutate: (c) => ({ ...c, order: { ...c.order, 'a/b~c': 1 } }),
  },
  // Instants without an offset.
  {
    kind: 'instant without offset: evaluatedAt',
    pointer: '/evaluatedAt',
    mutate: (c) => ({ ...c, evaluatedAt: '2026-05-22T09:30:00' }),
  },
  {
    kind: 'instant without offset: order.purchasedAt, with milliseconds',
    pointer: '/order/purchasedAt',
    mutate: (c) => ({ ...c, order: { ...c.order, purchasedAt: '2026-05-01T14:00:00.000' } }),
  },
  {
    kind: 'instant without offset: a date only',
    pointer: '/request/submittedAt',
    mutate: (c) => ({ ...c, request: { ...c.request, submittedAt: '2026-05-06' } }),
  },
  {
    kind: 'instant without offset: a space instead of T',
    pointer: '/evaluatedAt',
    mutate: (c) => ({ ...c, evaluatedAt: '2026-05-22 09:30:00Z' }),
  },
  {
    kind: 'instant without offset: nullable reports/0/remediatedAt',
    pointer: '/reports/0/remediatedAt',
    mutate: (c) => {
      c.reports[0].remediatedAt = '2026-05-10T00:00:00';
      return c;
    },
  },
  {
    kind: 'instant with a short offset (+08)',
    pointer: '/evaluatedAt',
    mutate: (c) => ({ ...c, evaluatedAt: '2026-05-22T09:30:00+08' }),
  },
  // Finer than milliseconds.
  {
    kind: 'instant finer than ms: evaluatedAt with 4 fraction digits',
    pointer: '/evaluatedAt',
    mutate: (c) => ({ ...c, evaluatedAt: '2026-05-22T01:30:00.0001Z' }),
  },
  {
    kind: 'instant finer than ms: incident startsAt in microseconds',
    pointer: '/incidents/0/startsAt',
    mutate: (c) => ({
      ...c,
      incidents: [
        {
          id: 'inc_1',
          confirmedAt: null,
          startsAt: '2026-05-02T00:00:00.000001+00:00',
          products: ['all'],
          widelyImpacting: true,
        },
      ],
    }),
  },
  {
    kind: 'instant that is no calendar date (Feb 30)',
    pointer: '/evaluatedAt',
    mutate: (c) => ({ ...c, evaluatedAt: '2026-02-30T09:30:00Z' }),
  },
  // Instants out of order.
  {
    kind: 'out of order: evaluatedAt before submittedAt',
    pointer: '/evaluatedAt',
    mutate: (c) => ({ ...c, evaluatedAt: '2026-05-06T09:59:59.999Z' }),
  },
  {
    kind: 'out of order: evaluatedAt before submittedAt once offsets are applied',
    pointer: '/evaluatedAt',
    // 17:59:59.999+08:00 is 09:59:59.999Z, a millisecond before submittedAt (10:00:00Z).
    mutate: (c) => ({ ...c, evaluatedAt: '2026-05-06T17:59:59.999+08:00' }),
  },
  {
    kind: 'out of order: submittedAt before purchasedAt',
    pointer: '/request/submittedAt',
    mutate: (c) => ({ ...c, request: { ...c.request, submittedAt: '2026-05-01T13:59:59Z' } }),
  },
  {
    kind: 'out of order: incident endsAt equal to startsAt',
    pointer: '/incidents/0/endsAt',
    mutate: (c) => ({
      ...c,
      incidents: [
        {
          id: 'inc_1',
          confirmedAt: '2026-05-03T00:00:00Z',
          startsAt: '2026-05-02T00:00:00Z',
          endsAt: '2026-05-02T00:00:00Z',
          products: ['all'],
          widelyImpacting: true,
        },
      ],
    }),
  },
  {
    kind: 'out of order: remediatedAt before reportedAt',
    pointer: '/reports/0/remediatedAt',
    mutate: (c) => {
      c.reports[0].remediatedAt = '2026-05-03T01:59:59Z';
      return c;
    },
  },
  {
    kind: 'out of order: prior order refunded before it was bought',
    pointer: '/priorOrders/0/refundedAt',
    mutate: (c) => ({
      ...c,
      priorOrders: [
        {
          id: 'ord_1',
          planId: 'isp-10ip',
          purchasedAt: '2026-03-01T00:00:00Z',
          refundedAt: '2026-02-28T23:59:59Z',
        },
      ],
    }),
  },
  {
    kind: 'refundedCents greater than amountCents',
    pointer: '/order/refundedCents',
    mutate: (c) => ({ ...c, order: { ...c.order, refundedCents: 8801 } }),
  },
  // Negative and fractional amounts.
  {
    kind: 'negative: amountCents',
    pointer: '/order/amountCents',
    mutate: (c) => ({ ...c, order: { ...c.order, amountCents: -1 } }),
  },
  {
    kind: 'negative: usage.trafficBytes',
    pointer: '/usage/trafficBytes',
    mutate: (c) => ({ ...c, usage: { ...c.usage, trafficBytes: -5 } }),
  },
  {
    kind: 'negative: promoCreditsCents',
    pointer: '/order/promoCreditsCents',
    mutate: (c) => ({ ...c, order: { ...c.order, promoCreditsCents: -100 } }),
  },
  {
    kind: 'fractional: amountCents',
    pointer: '/order/amountCents',
    mutate: (c) => ({ ...c, order: { ...c.order, amountCents: 8800.5 } }),
  },
  {
    kind: 'fractional: refundedCents',
    pointer: '/order/refundedCents',
    mutate: (c) => ({ ...c, order: { ...c.order, refundedCents: 0.01 } }),
  },
  {
    kind: 'fractional: usage.requests',
    pointer: '/usage/requests',
    mutate: (c) => ({ ...c, usage: { ...c.usage, requests: 1.5 } }),
  },
  {
    kind: 'fractional: servicePeriodDays',
    pointer: '/order/servicePeriodDays',
    mutate: (c) => ({ ...c, order: { ...c.order, servicePeriodDays: 30.5 } }),
  },
  {
    kind: 'an amount beyond 2^53 - 1',
    pointer: '/order/amountCents',
    // Written as text: JSON.stringify cannot carry the exact digits.
    text: readFileSync(examplePath('full-refund-unremediated-report'), 'utf8').replace(
      '"amountCents": 8800',
      '"amountCents": 9007199254740993',
    ),
  },
];

describe('refund-desk decide: invalid input exits 2 with one line naming the field', () => {
  for (const { kind, pointer, mutate, text } of INVALID) {
    it(`${kind} -> ${pointer === '' ? '(the document)' : pointer}`, () => {
      const input = text ?? JSON.stringify(mutate?.(exampleCase()));
      expectInvalidCase(cli(['decide', '-'], input), pointer);
    });
  }

  it('reads the same failure from a file as from standard input', () => {
    const c = exampleCase();
    c.order.amountCents = 12.5;
    const file = writeTemp('fractional.case.json', JSON.stringify(c, null, 2));
    const fromFile = expectInvalidCase(cli(['decide', file]), '/order/amountCents');
    const fromStdin = expectInvalidCase(
      cli(['decide', '-'], JSON.stringify(c)),
      '/order/amountCents',
    );
    expect(fromFile).toBe(fromStdin);
  });

  it('accepts the boundaries: millisecond precision, ±hh:mm offsets, equal instants', () => {
    const c = exampleCase();
    c.order.purchasedAt = '2026-05-01T22:00:00.5+08:00';
    c.request.submittedAt = '2026-05-06T05:00:00.123-05:00';
    c.evaluatedAt = '2026-05-06T10:00:00.123Z'; // the same instant as submittedAt
    const run = cli(['decide', '-'], JSON.stringify(c));
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(`${JSON.stringify(decide(c))}\n`);
  });
});

describe('refund-desk decide: files and options', () => {
  it('a missing case file: exit 2, one line naming the file', () => {
    const missing = join(tmp, 'no-such-case.json');
    const line = expectOneLineFailure(cli(['decide', missing]));
    expect(line).toContain('no-such-case.json');
  });

  it('a directory instead of a case file: exit 2, one line', () => {
    expectOneLineFailure(cli(['decide', tmp]));
  });

  it('an unknown option: exit 2, one line naming it, nothing on stdout', () => {
    const line = expectOneLineFailure(cli(['decide', '--bogus', examplePath('denied-crypto')]));
    expect(line).toContain('--bogus');
  });

  it('a misspelt option: exit 2, naming it (a "did you mean" hint may follow)', () => {
    expectUsageFailure(
      cli(['decide', '--polcy', 'x.json', examplePath('denied-crypto')]),
      '--polcy',
    );
  });

  it('an unknown command: exit 2, naming it (a "did you mean" hint may follow)', () => {
    expectUsageFailure(cli(['decidee', examplePath('denied-crypto')]), 'decidee');
  });

  it('decide without a file: exit 2', () => {
    expectOneLineFailure(cli(['decide']));
  });

  it('--policy without its value: exit 2', () => {
    expectOneLineFailure(cli(['decide', examplePath('denied-crypto'), '--policy']));
  });

  it('--policy naming a missing file: exit 2, one line', () => {
    const line = expectOneLineFailure(
      cli(['decide', '--policy', join(tmp, 'nope.yaml'), examplePath('denied-crypto')]),
    );
    expect(line).toContain('nope.yaml');
  });

  it('--policy naming an invalid policy: exit 2, one line naming the bad field', () => {
    const doc = shippedPolicyDocument();
    doc.parameters.requestWindowDays = -3;
    const file = writeTemp('bad-window.json', JSON.stringify(doc));
    const line = expectOneLineFailure(
      cli(['decide', '--policy', file, examplePath('denied-crypto')]),
    );
    expect(line).toContain('/parameters/requestWindowDays');
  });

  it('--help exits 0 and lists decide and policy', () => {
    const run = cli(['--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('decide');
    expect(run.stdout).toContain('policy');
  });
});

describe('refund-desk decide --policy: caps and the window are data, not code', () => {
  const CASE = 'full-refund-unremediated-report'; // static_isp, 40 MB / 350 requests, day 4.8

  /** Decides CASE under the policy at `path` through the bin, and checks it against decide(). */
  function decideUnder(path: string): Decision {
    const run = cli(['decide', '--policy', path, examplePath(CASE)]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(`${JSON.stringify(decide(exampleCase(CASE), loadPolicy(path)))}\n`);
    return JSON.parse(run.stdout) as Decision;
  }

  function variant(change: (doc: Mutable) => void): Mutable {
    const doc = shippedPolicyDocument();
    doc.version = 2;
    change(doc);
    return doc;
  }

  it('the shipped document given explicitly decides like the default', () => {
    const under = decideUnder(SHIPPED_POLICY);
    expect(under).toEqual(decide(exampleCase(CASE)));
    expect(under.outcome).toBe('full_refund');
  });

  it('a shorter requestWindowDays (JSON) turns a full refund into a denial', () => {
    const file = writeTemp(
      'window-3.json',
      JSON.stringify(
        variant((doc) => {
          doc.parameters.requestWindowDays = 3;
        }),
        null,
        2,
      ),
    );
    const decision = decideUnder(file);
    expect(decision.policyVersion).toBe('okkproxy@2');
    expect(decision.outcome).toBe('denied');
    expect(decision.reasons.map((r) => r.code)).toEqual(['WINDOW_EXPIRED']);
    expect(decision.reasons[0]?.message).toContain('the window is 3 days');
  });

  it('a lower traffic cap (YAML, SI units) turns a full refund into a denial', () => {
    const file = writeTemp(
      'traffic-30mb.yaml',
      toYaml(
        variant((doc) => {
          doc.parameters.usageCaps.static_isp.traffic = '30 MB';
        }),
      ),
    );
    const decision = decideUnder(file);
    expect(decision.policyVersion).toBe('okkproxy@2');
    expect(decision.outcome).toBe('denied');
    expect(decision.reasons.map((r) => r.code)).toEqual(['USAGE_CAP_TRAFFIC']);
    expect(decision.reasons[0]?.message).toContain('30000000 bytes');
  });

  it('a traffic cap equal to the usage is not exceeded (strictly greater only)', () => {
    const file = writeTemp(
      'traffic-40mb.yaml',
      toYaml(
        variant((doc) => {
          doc.parameters.usageCaps.static_isp.traffic = '40 MB';
        }),
      ),
    );
    expect(decideUnder(file).outcome).toBe('full_refund');
  });

  it('a lower request cap (YAML) turns a full refund into a denial', () => {
    const file = writeTemp(
      'requests-300.yml',
      toYaml(
        variant((doc) => {
          doc.parameters.usageCaps.static_isp.requests = 300;
        }),
      ),
    );
    const decision = decideUnder(file);
    expect(decision.outcome).toBe('denied');
    expect(decision.reasons.map((r) => r.code)).toEqual(['USAGE_CAP_REQUESTS']);
  });

  it('a longer window (YAML) drops WINDOW_EXPIRED from the late pro-rata case', () => {
    const file = writeTemp(
      'window-14.yaml',
      toYaml(
        variant((doc) => {
          doc.parameters.requestWindowDays = 14;
        }),
      ),
    );
    const path = examplePath('prorata-after-window');
    const before = JSON.parse(cli(['decide', path]).stdout) as Decision;
    const run = cli(['decide', '--policy', file, path]);
    expect(run.status).toBe(0);
    const after = JSON.parse(run.stdout) as Decision;
    expect(before.reasons.map((r) => r.code)).toContain('WINDOW_EXPIRED');
    expect(after.reasons.map((r) => r.code)).not.toContain('WINDOW_EXPIRED');
    expect(after.outcome).toBe('prorata');
    expect(run.stdout).toBe(
      `${JSON.stringify(decide(exampleCase('prorata-after-window'), loadPolicy(file)))}\n`,
    );
  });

  it('--explain under another policy cites that policy', () => {
    const file = writeTemp(
      'window-2.yaml',
      toYaml(
        variant((doc) => {
          doc.parameters.requestWindowDays = 2;
        }),
      ),
    );
    const run = cli(['decide', '--explain', '--policy', file, examplePath(CASE)]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Denied/);
    expect(run.stdout).toContain('okkproxy@2');
    expect(run.stdout).toContain('the window is 2 days');
  });
});

describe('refund-desk policy validate', () => {
  it('the shipped JSON document is valid: exit 0', () => {
    const run = cli(['policy', 'validate', SHIPPED_POLICY]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('okkproxy@1');
  });

  it('the same document as YAML is valid: exit 0', () => {
    const file = writeTemp('v1.yaml', toYaml(shippedPolicyDocument()));
    const run = cli(['policy', 'validate', file]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('okkproxy@1');
  });

  it('an invalid document: exit 2, each bad field named on its own line', () => {
    const doc = shippedPolicyDocument();
    doc.parameters.requestWindowDays = 7.5;
    doc.parameters.usageCaps.unlimited.traffic = 'lots';
    doc.parameters.usageCaps.mobile_static.requests = -1;
    doc.parameters.refundFee = 5;
    delete doc.parameters.remediationDays;
    doc.effectiveFrom = '2020-01-01T00:00:00';
    const file = writeTemp('invalid-policy.yaml', toYaml(doc));
    const run = cli(['policy', 'validate', file]);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).not.toMatch(STACK_FRAME);
    const lines = run.stderr.trimEnd().split('\n');
    const expected = [
      '/parameters/requestWindowDays',
      '/parameters/usageCaps/unlimited/traffic',
      '/parameters/usageCaps/mobile_static/requests',
      '/parameters/refundFee',
      '/parameters/remediationDays',
    ];
    for (const pointer of expected) {
      expect(
        lines.filter((line) => line.includes(`${pointer}: `)),
        `${pointer} in:\n${run.stderr}`,
      ).toHaveLength(1);
    }
  });

  it('an invalid effectiveFrom is named', () => {
    const doc = shippedPolicyDocument();
    doc.effectiveFrom = '2020-01-01T00:00:00';
    const run = cli(['policy', 'validate', writeTemp('bad-from.json', JSON.stringify(doc))]);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('/effectiveFrom: ');
  });

  it('a document that is neither JSON nor YAML: exit 2, one line', () => {
    const file = writeTemp('garbage.yaml', 'id: [unclosed\n  version: {\n');
    expectOneLineFailure(cli(['policy', 'validate', file]));
  });

  it('a broken JSON document: exit 2, one line', () => {
    const file = writeTemp('broken.json', '{"id": "okkproxy",');
    expectOneLineFailure(cli(['policy', 'validate', file]));
  });

  it('a missing file: exit 2, one line', () => {
    const line = expectOneLineFailure(cli(['policy', 'validate', join(tmp, 'absent.yaml')]));
    expect(line).toContain('absent.yaml');
  });
});

describe('refund-desk policy show', () => {
  interface Shown {
    policyVersion: string;
    parameters: {
      requestWindowDays: number;
      usageCaps: Record<string, { trafficBytes: number; requests: number }>;
    };
    clauses: Record<string, { text: string }>;
  }

  it('without a file: the latest shipped version, caps resolved to bytes', () => {
    const run = cli(['policy', 'show']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const shown = JSON.parse(run.stdout) as Shown;
    expect(shown.policyVersion).toBe('okkproxy@1');
    expect(shown.parameters.requestWindowDays).toBe(7);
    expect(shown.parameters.usageCaps['dynamic_residential']).toEqual({
      trafficBytes: 500_000_000,
      requests: 5_000,
    });
    expect(shown.parameters.usageCaps['unlimited']).toEqual({
      trafficBytes: 2_000_000_000,
      requests: 20_000,
    });
    expect(shown.clauses['2']?.text).toContain('Request window');
  });

  it('with a YAML file: that document', () => {
    const doc = shippedPolicyDocument();
    doc.version = 3;
    doc.parameters.requestWindowDays = 10;
    doc.parameters.usageCaps.mobile_dynamic.traffic = '1 GiB';
    const run = cli(['policy', 'show', writeTemp('v3.yaml', toYaml(doc))]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const shown = JSON.parse(run.stdout) as Shown;
    expect(shown.policyVersion).toBe('okkproxy@3');
    expect(shown.parameters.requestWindowDays).toBe(10);
    expect(shown.parameters.usageCaps['mobile_dynamic']?.trafficBytes).toBe(2 ** 30);
  });

  it('with an invalid file: exit 2, one line', () => {
    const doc = shippedPolicyDocument();
    doc.parameters.firstPeriodDays = 'seven';
    const line = expectOneLineFailure(
      cli(['policy', 'show', writeTemp('bad-show.json', JSON.stringify(doc))]),
    );
    expect(line).toContain('/parameters/firstPeriodDays');
  });

  it('with a missing file: exit 2, one line', () => {
    expectOneLineFailure(cli(['policy', 'show', join(tmp, 'gone.json')]));
  });
});

describe('refund-desk serve', () => {
  it('a port already in use is one line on stderr and exit 2, with the database closed', async () => {
    const { createServer } = await import('node:net');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const address = taken.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const dataDir = mkdtempSync(join(tmpdir(), 'refund-desk-serve-'));
    try {
      const result = spawnSync(
        process.execPath,
        [BIN, 'serve', '--no-demo', '--port', String(port)],
        {
          cwd: root,
          encoding: 'utf8',
          timeout: 20_000,
          env: {
            ...process.env,
            DATA_DIR: dataDir,
            DATABASE_URL: `sqlite:${join(dataDir, 'desk.sqlite')}`,
          },
        },
      );
      expect(result.status).toBe(2);
      expect(result.stderr).toBe(`refund-desk: cannot listen on 127.0.0.1:${port} (EADDRINUSE)\n`);
      expect(result.stderr).not.toMatch(STACK_FRAME);
    } finally {
      taken.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
