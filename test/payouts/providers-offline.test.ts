/**
 * Bank transfer and manual payouts (no API): pending until marked paid, the finance batch
 * file (deterministic CSV, amounts from minor units by exponent), the mark-paid input, and
 * how an order's payment method picks its adapter.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/app/context.js';
import type { RefundInstruction } from '../../src/app/payouts/provider.js';
import { decimalAmount, parseAmount } from '../../src/payouts/providers/amounts.js';
import {
  BankTransferProvider,
  writePayoutBatchFile,
} from '../../src/payouts/providers/bank-transfer.js';
import {
  createPayoutProviders,
  payoutMethodForOrder,
  providersConfigFromEnv,
} from '../../src/payouts/providers/index.js';
import { ManualPayoutProvider } from '../../src/payouts/providers/manual.js';
import {
  csvCell,
  parseMarkPaid,
  renderPayoutBatchCsv,
  type PayoutBatchLine,
} from '../../src/payouts/providers/offline.js';

const NOW_MS = Date.UTC(2026, 2, 1, 12);

function instruction(overrides: Partial<RefundInstruction> = {}): RefundInstruction {
  return {
    refundId: 'po_1',
    idempotencyKey: 'payout:po_1',
    orderId: 'ord_1',
    chargeRef: 'TRF-2026-0001',
    amountMinor: 4_200,
    currency: 'EUR',
    ...overrides,
  };
}

describe('bank transfer and manual adapters', () => {
  it('record the payout as pending, the same way on every call', async () => {
    const bank = new BankTransferProvider();
    const first = await bank.refund(instruction());
    expect(first).toEqual({ kind: 'pending', providerRefundId: 'bank_transfer:po_1' });
    expect(await bank.refund(instruction())).toEqual(first);
    expect(await bank.lookup(instruction())).toEqual(first);
    expect(await new ManualPayoutProvider().refund(instruction())).toEqual({
      kind: 'pending',
      providerRefundId: 'manual:po_1',
    });
  });

  it('look up as succeeded once staff marked the payout paid', async () => {
    const paid = new Map<string, string>();
    const manual = new ManualPayoutProvider({ paidReference: async (id) => paid.get(id) ?? null });
    expect((await manual.lookup(instruction())).kind).toBe('pending');
    paid.set('po_1', '0xabc123');
    expect(await manual.lookup(instruction())).toEqual({
      kind: 'succeeded',
      providerRefundId: 'manual:po_1',
    });
  });

  it('refuse a non-positive amount as a bug', async () => {
    await expect(
      new BankTransferProvider().refund(instruction({ amountMinor: 0 })),
    ).rejects.toThrow(/positive/);
  });
});

describe('the payout batch file', () => {
  const lines: PayoutBatchLine[] = [
    {
      refundId: 'po_b',
      orderId: 'ord_2',
      customerId: 'cus_2',
      chargeRef: 'TRF-2',
      amountMinor: 1_234,
      currency: 'KWD',
    },
    {
      refundId: 'po_c',
      orderId: 'ord_3',
      customerId: 'cus_3',
      chargeRef: 'TRF-3',
      amountMinor: 5,
      currency: 'EUR',
    },
    {
      refundId: 'po_a',
      orderId: 'ord_1',
      customerId: 'cus_1',
      chargeRef: 'TRF-1',
      amountMinor: 4_200,
      currency: 'EUR',
    },
    {
      refundId: 'po_d',
      orderId: 'ord_4',
      customerId: 'cus_4',
      chargeRef: 'TRF-4',
      amountMinor: 1_500,
      currency: 'JPY',
    },
  ];

  it('is a CSV with a header, ordered by currency then refund, amounts by exponent', () => {
    const { csv, totals } = renderPayoutBatchCsv({ batchId: 'b1', method: 'bank_transfer', lines });
    expect(csv).toBe(
      [
        'batch_id,line,method,refund_id,order_id,customer_id,original_payment_ref,currency,amount,amount_minor,payment_reference',
        'b1,1,bank_transfer,po_a,ord_1,cus_1,TRF-1,EUR,42.00,4200,po_a',
        'b1,2,bank_transfer,po_c,ord_3,cus_3,TRF-3,EUR,0.05,5,po_c',
        'b1,3,bank_transfer,po_d,ord_4,cus_4,TRF-4,JPY,1500,1500,po_d',
        'b1,4,bank_transfer,po_b,ord_2,cus_2,TRF-2,KWD,1.234,1234,po_b',
        '',
      ].join('\r\n'),
    );
    expect(totals).toEqual({ EUR: 4_205, JPY: 1_500, KWD: 1_234 });
  });

  it('is the same bytes whatever order the lines come in', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(lines, { minLength: lines.length }), (shuffled) => {
        expect(renderPayoutBatchCsv({ batchId: 'b1', method: 'manual', lines: shuffled }).csv).toBe(
          renderPayoutBatchCsv({ batchId: 'b1', method: 'manual', lines }).csv,
        );
      }),
    );
  });

  it('writes amounts that read back to the same minor units, for any exponent', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        fc.constantFrom('USD', 'JPY', 'KWD', 'CLF', 'EUR'),
        (amountMinor, currency) => {
          expect(parseAmount(decimalAmount(amountMinor, currency), currency)).toBe(amountMinor);
        },
      ),
    );
  });

  it('quotes cells and defuses spreadsheet formulas', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('-1+2')).toBe("'-1+2");
    const { csv } = renderPayoutBatchCsv({
      batchId: 'b2',
      method: 'bank_transfer',
      lines: [
        {
          refundId: 'po_x',
          orderId: 'ord_x',
          customerId: 'cus_x',
          chargeRef: '@SUM(A1)',
          amountMinor: 1,
          currency: 'USD',
        },
      ],
    });
    expect(csv).toContain(",'@SUM(A1),");
  });

  it('refuses duplicates, bad amounts, empty and oversized batches', () => {
    const line = lines[0] as PayoutBatchLine;
    const render = (ls: PayoutBatchLine[]) =>
      renderPayoutBatchCsv({ batchId: 'b', method: 'bank_transfer', lines: ls });
    expect(() => render([line, line])).toThrow(/twice/);
    expect(() => render([{ ...line, amountMinor: 0 }])).toThrow(/positive/);
    expect(() => render([{ ...line, amountMinor: 1.5 }])).toThrow(/positive/);
    expect(() => render([{ ...line, currency: 'usd' }])).toThrow(/ISO 4217/);
    expect(() => render([])).toThrow(/at least one/);
    const many = Array.from({ length: 5_001 }, (_, i) => ({
      ...line,
      refundId: `po_${String(i)}`,
    }));
    expect(() => render(many)).toThrow(/at most/);
  });

  describe('on disk', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'payout-batch-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('is written whole under its batch id, and never overwritten', async () => {
      const batch = { batchId: '2026-03-01_1', method: 'bank_transfer' as const, lines };
      const written = await writePayoutBatchFile(dir, batch);
      expect(written.fileName).toBe('payouts-bank_transfer-2026-03-01_1.csv');
      const bytes = await readFile(written.path, 'utf8');
      expect(bytes).toBe(renderPayoutBatchCsv(batch).csv);
      expect(written.lineCount).toBe(4);
      expect(written.sha256).toMatch(/^[0-9a-f]{64}$/);
      await expect(
        writePayoutBatchFile(dir, { ...batch, lines: lines.slice(0, 1) }),
      ).rejects.toThrow(/EEXIST/);
      expect(await readFile(written.path, 'utf8')).toBe(bytes);
      await expect(writePayoutBatchFile(dir, { ...batch, batchId: '../x' })).rejects.toThrow(
        /batchId/,
      );
    });
  });
});

describe('marking paid', () => {
  it('takes a reference, an optional paid-at and note', () => {
    expect(parseMarkPaid({ reference: 'SEPA-2026-000123' }, NOW_MS)).toEqual({
      ok: true,
      value: { reference: 'SEPA-2026-000123', paidAtMs: null, note: null },
    });
    expect(
      parseMarkPaid({ reference: '0xabc', paidAt: '2026-03-01T11:00:00Z', note: 'sent' }, NOW_MS),
    ).toEqual({
      ok: true,
      value: { reference: '0xabc', paidAtMs: NOW_MS - 3_600_000, note: 'sent' },
    });
  });

  it('names each bad field by JSON pointer', () => {
    expect(
      parseMarkPaid({ reference: ' padded ', paidAt: '2026-03-02T00:00:00Z' }, NOW_MS),
    ).toEqual({
      ok: false,
      error: [
        { pointer: '/reference', message: expect.any(String) },
        { pointer: '/paidAt', message: 'must not be in the future' },
      ],
    });
    expect(
      parseMarkPaid({ reference: 'x'.repeat(141), paidAt: 'yesterday', note: 5 }, NOW_MS),
    ).toMatchObject({
      ok: false,
      error: [{ pointer: '/reference' }, { pointer: '/paidAt' }, { pointer: '/note' }],
    });
    expect(parseMarkPaid(null, NOW_MS)).toMatchObject({
      ok: false,
      error: [{ pointer: '/reference' }],
    });
  });
});

describe('choosing the adapter', () => {
  it('goes back through the method the order was paid with', () => {
    expect(payoutMethodForOrder({ paymentMethod: 'card', provider: 'stripe' })).toBe('card');
    expect(payoutMethodForOrder({ paymentMethod: 'card', provider: 'adyen' })).toBeNull();
    expect(payoutMethodForOrder({ paymentMethod: 'paypal', provider: 'paypal' })).toBe('paypal');
    expect(payoutMethodForOrder({ paymentMethod: 'bank', provider: 'bank' })).toBe('bank_transfer');
    expect(payoutMethodForOrder({ paymentMethod: 'crypto', provider: 'crypto' })).toBe('manual');
    expect(payoutMethodForOrder({ paymentMethod: 'gift_card', provider: 'x' })).toBeNull();
  });

  it('builds the configured adapters from the environment', () => {
    const clock = new ManualClock(NOW_MS);
    const config = providersConfigFromEnv(
      {
        STRIPE_API_KEY: 'sk_test_x',
        STRIPE_API_BASE: 'http://127.0.0.1:12111',
        PAYPAL_CLIENT_ID: 'id',
        PAYPAL_CLIENT_SECRET: 'secret',
        PAYPAL_API_BASE: 'http://127.0.0.1:12112',
        PROVIDER_TIMEOUT_MS: '2500',
      },
      clock,
    );
    expect(config.stripe).toEqual({
      apiKey: 'sk_test_x',
      timeoutMs: 2_500,
      host: '127.0.0.1',
      port: 12_111,
      protocol: 'http',
    });
    expect(config.paypal).toMatchObject({ baseUrl: 'http://127.0.0.1:12112', timeoutMs: 2_500 });
    const providers = createPayoutProviders(config);
    expect(
      ['card', 'paypal', 'bank_transfer', 'manual'].map((m) => providers.get(m as never)?.method),
    ).toEqual(['card', 'paypal', 'bank_transfer', 'manual']);
    providers.close();
    const none = createPayoutProviders(providersConfigFromEnv({}, clock));
    expect(none.get('card')).toBeNull();
    expect(none.get('paypal')).toBeNull();
    expect(none.get('bank_transfer')?.method).toBe('bank_transfer');
    expect(() => providersConfigFromEnv({ PROVIDER_TIMEOUT_MS: '0' }, clock)).toThrow(
      /PROVIDER_TIMEOUT_MS/,
    );
  });
});
