import { expect, test } from 'vitest';
import { ipMatches, parseIpList } from '../../src/domain/ipLock.js';

test('IP lists take dotted-quad IPv4, IPv6 and CIDR ranges in normal form, and refuse the shorthands ipaddr.js would guess at', () => {
  const { entries, invalid } = parseIpList('10.0.0.7/24, 2001:db8::/32, ::ffff:1.2.3.4, 203.0.113.7, 203.0.113.7');
  expect(entries).toEqual(['10.0.0.0/24', '2001:db8::/32', '1.2.3.4', '203.0.113.7']);
  expect(invalid).toEqual([]);
  // "10" would otherwise lock a key to 0.0.0.10, "010.0.0.1" to 8.0.0.1 (octal)
  expect(parseIpList('10, 127.1, 010.0.0.1, 3232235777, 10/8, 1.2.3.4/33, nonsense').invalid).toEqual([
    '10',
    '127.1',
    '010.0.0.1',
    '3232235777',
    '10/8',
    '1.2.3.4/33',
    'nonsense',
  ]);
});

test('matching: ranges, addresses, IPv4-mapped clients, no cross-family matches', () => {
  expect(ipMatches('10.0.0.9', ['10.0.0.0/24'])).toBe(true);
  expect(ipMatches('::ffff:10.0.0.9', ['10.0.0.0/24'])).toBe(true);
  expect(ipMatches('10.0.1.9', ['10.0.0.0/24'])).toBe(false);
  expect(ipMatches('2001:db8::1', ['2001:db8::/32', '10.0.0.0/8'])).toBe(true);
  expect(ipMatches('203.0.113.7', ['203.0.113.7'])).toBe(true);
  expect(ipMatches('203.0.113.8', ['203.0.113.7'])).toBe(false);
  expect(ipMatches('not an ip', ['0.0.0.0/0'])).toBe(false);
});
