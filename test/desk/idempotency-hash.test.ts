/** What makes two requests "the same" for an Idempotency-Key (pure). */
import { describe, expect, it } from 'vitest';
import { canonicalBody, checkIdempotencyKey, requestHash } from '../../src/app/idempotency.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const JSON_TYPE = 'application/json';

describe('requestHash', () => {
  it('ignores JSON key order and whitespace, not values', () => {
    const a = requestHash('POST', '/v1/x', JSON_TYPE, utf8('{"a":1,"b":[1,2]}'));
    const b = requestHash(
      'post',
      '/v1/x',
      'application/json; charset=utf-8',
      utf8('{ "b": [1, 2],\n "a": 1 }'),
    );
    expect(a).toBe(b);
    expect(requestHash('POST', '/v1/x', JSON_TYPE, utf8('{"a":1,"b":[2,1]}'))).not.toBe(a);
    expect(requestHash('POST', '/v1/y', JSON_TYPE, utf8('{"a":1,"b":[1,2]}'))).not.toBe(a);
    expect(requestHash('POST', '/v1/x?dry=1', JSON_TYPE, utf8('{"a":1,"b":[1,2]}'))).not.toBe(a);
  });

  it('hashes malformed JSON and other types byte for byte', () => {
    const a = requestHash('POST', '/v1/x', JSON_TYPE, utf8('{"a":'));
    expect(requestHash('POST', '/v1/x', JSON_TYPE, utf8('{"a": '))).not.toBe(a);
    expect(canonicalBody('text/plain', utf8(' x '))).toEqual(Buffer.from(' x '));
  });

  it('ignores the multipart boundary, not the parts', () => {
    const body = (boundary: string, value: string) =>
      utf8(
        `--${boundary}\r\nContent-Disposition: form-data; name="request"\r\n\r\n${value}\r\n--${boundary}--\r\n`,
      );
    const type = (boundary: string) => `multipart/form-data; boundary=${boundary}`;
    const a = requestHash('POST', '/v1/x', type('aaa111'), body('aaa111', '{"a":1}'));
    expect(requestHash('POST', '/v1/x', type('"bbb222"'), body('bbb222', '{"a":1}'))).toBe(a);
    expect(requestHash('POST', '/v1/x', type('bbb222'), body('bbb222', '{"a":2}'))).not.toBe(a);
  });
});

describe('checkIdempotencyKey', () => {
  it.each(['a', 'x'.repeat(255), '550e8400-e29b-41d4-a716-446655440000', '!~"#$%'])(
    'accepts %s',
    (key) => {
      expect(checkIdempotencyKey(key)).toBeUndefined();
    },
  );
  it.each(['', 'x'.repeat(256), 'a b', 'tab\t', 'ключ'])('refuses %j', (key) => {
    expect(checkIdempotencyKey(key)).toBeTypeOf('string');
  });
});
