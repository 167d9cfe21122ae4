/** Validation of a refund request's body (pure): CIDRs, target sites, contact, limits. */
import { describe, expect, it } from 'vitest';
import { parseRefundRequest, parseWithdraw } from '../../src/app/requests/input.js';
import { checkCidr, checkTargetSite } from '../../src/app/requests/network.js';
import { requestBody } from '../support/intake.js';

const order = { orderId: 'ord_1', paymentMethod: 'card' as const };

describe('checkCidr', () => {
  it.each([
    '0.0.0.0/0',
    '203.0.113.0/24',
    '203.0.113.7/32',
    '10.0.0.0/8',
    '::/0',
    '2001:db8::/32',
    '2001:db8:0:0:0:0:0:1/128',
    '::ffff:192.0.2.0/120',
    'fe80::/10',
  ])('accepts %s', (cidr) => {
    expect(checkCidr(cidr)).toBeUndefined();
  });

  it.each([
    ['203.0.113.0', /CIDR range/],
    ['203.0.113.0/24/1', /CIDR range/],
    ['203.0.113.0/33', /0 to 32/],
    ['2001:db8::/129', /0 to 128/],
    ['203.0.113.0/024', /prefix "024"/],
    ['203.0.113.0/', /prefix ""/],
    ['203.0.113.0/-1', /prefix/],
    ['256.0.0.0/8', /not an IPv4 or IPv6/],
    ['010.0.0.0/8', /not an IPv4 or IPv6/],
    ['fe80::1%eth0/64', /not an IPv4 or IPv6/],
    ['example.com/24', /not an IPv4 or IPv6/],
    ['203.0.113.7/24', /host bits set beyond the \/24 prefix \(the range is 203\.0\.113\.0\/24\)/],
    ['10.0.0.1/8', /range is 10\.0\.0\.0\/8/],
    ['2001:db8::1/64', /host bits set beyond the \/64/],
    ['::ffff:192.0.2.1/120', /host bits/],
  ])('refuses %s', (cidr, message) => {
    expect(checkCidr(cidr)).toMatch(message);
  });
});

describe('checkTargetSite', () => {
  it.each([
    'example.com',
    'shop.example.org.',
    'xn--bcher-kva.example',
    'bücher.example',
    'example.com:8443',
    '192.0.2.1',
    '2001:db8::1',
    'https://example.com/path?q=1',
    'wss://stream.example.com/socket',
    'http://[2001:db8::1]:8080/',
  ])('accepts %s', (site) => {
    expect(checkTargetSite(site)).toBeUndefined();
  });

  it.each([
    ['exa mple.com', /spaces/],
    ['ftp://example.com', /http\(s\)/],
    ['https://user:pw@example.com/', /credentials/],
    ['example.com/path', /URL with a scheme/],
    ['-bad-.example', /not a valid hostname/],
    ['a..b', /not a valid hostname|hostname/],
    ['https://', /not a valid URL/],
  ])('refuses %s', (site, message) => {
    expect(checkTargetSite(site)).toMatch(message);
  });
});

describe('parseRefundRequest', () => {
  it('applies defaults for the optional network context', () => {
    const result = parseRefundRequest({
      orderId: 'ord_1',
      paymentMethod: 'card',
      description: 'broken',
      contact: { im: 'telegram:@ada' },
    });
    expect(result).toEqual({
      ok: true,
      value: {
        orderId: 'ord_1',
        paymentMethod: 'card',
        description: 'broken',
        networkContext: { targetSites: [], timestamps: [], egressCidrs: [], clientConfig: '' },
        contact: { email: null, im: 'telegram:@ada' },
      },
    });
  });

  it('names the item of a list by its index', () => {
    const result = parseRefundRequest(
      requestBody(order, {
        networkContext: { egressCidrs: ['10.0.0.0/8', '192.0.2.0/24', '192.0.2.1/24'] },
      }),
    );
    expect(result).toEqual({
      ok: false,
      error: [
        {
          pointer: '/networkContext/egressCidrs/2',
          message: expect.stringContaining('host bits') as string,
        },
      ],
    });
  });

  it.each([
    [{ email: 'ada@example' }, '/contact/email'],
    [{ email: 'a b@example.com' }, '/contact/email'],
    [{ im: '@ada' }, '/contact/im'],
    [{ im: `telegram:${'a'.repeat(100)}` }, '/contact/im'],
    [{}, '/contact'],
    [{ phone: '+1' }, '/contact/phone'],
  ])('contact %j → %s', (contact, pointer) => {
    const result = parseRefundRequest(requestBody(order, { contact }));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.map((e) => e.pointer)).toEqual([pointer]);
  });

  it('bounds every list and text', () => {
    const result = parseRefundRequest(
      requestBody(order, {
        orderId: 'o'.repeat(129),
        paymentMethod: 'gift_card',
        description: '',
        networkContext: {
          targetSites: Array.from({ length: 51 }, () => 'example.com'),
          timestamps: Array.from({ length: 101 }, () => '2026-03-03T10:15:00Z'),
          egressCidrs: Array.from({ length: 101 }, () => '10.0.0.0/8'),
          clientConfig: 'x'.repeat(20_001),
        },
      }),
    );
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.map((e) => e.pointer).sort()).toEqual(
        [
          '/description',
          '/networkContext/clientConfig',
          '/networkContext/egressCidrs',
          '/networkContext/targetSites',
          '/networkContext/timestamps',
          '/orderId',
          '/paymentMethod',
        ].sort(),
      );
    }
  });

  it('accepts the largest allowed values', () => {
    const result = parseRefundRequest(
      requestBody(order, {
        description: 'd'.repeat(5_000),
        networkContext: {
          targetSites: Array.from({ length: 50 }, () => 'example.com'),
          timestamps: Array.from({ length: 100 }, () => '2026-03-03T10:15:00.123-05:30'),
          egressCidrs: Array.from({ length: 100 }, () => '2001:db8::/32'),
          clientConfig: 'c'.repeat(20_000),
        },
        contact: { im: `tg:${'h'.repeat(97)}` },
      }),
    );
    expect(result.ok).toBe(true);
  });
});

describe('parseWithdraw', () => {
  it('takes an optional reason', () => {
    expect(parseWithdraw({})).toEqual({ ok: true, value: { reason: null } });
    expect(parseWithdraw({ reason: 'fixed' })).toEqual({ ok: true, value: { reason: 'fixed' } });
    expect(parseWithdraw({ reason: 'x'.repeat(1_001) }).ok).toBe(false);
    expect(parseWithdraw([]).ok).toBe(false);
  });
});
