/**
 * Checks for the network context a customer gives with a refund request: egress IP ranges as
 * strict CIDRs, target sites as hostnames or URLs. Each check returns undefined when the value
 * is fine, else a message for the field error.
 */
import { isIP } from 'node:net';

const PREFIX = /^(0|[1-9][0-9]{0,2})$/;

/** 16 bytes of an IPv6 address that `isIP` already accepted (no zone index). */
function ipv6Bytes(address: string): number[] {
  let text = address;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = tail.split('.').map(Number);
    const hex = (hi: number, lo: number): string => ((hi << 8) | lo).toString(16);
    text = `${text.slice(0, lastColon + 1)}${hex(a, b)}:${hex(c, d)}`;
  }
  const [left = '', right] = text.split('::');
  const groupsOf = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const head = groupsOf(left);
  const rest = right === undefined ? [] : groupsOf(right);
  const zeros =
    right === undefined ? [] : new Array<string>(8 - head.length - rest.length).fill('0');
  const bytes: number[] = [];
  for (const group of [...head, ...zeros, ...rest]) {
    const value = parseInt(group, 16);
    bytes.push(value >> 8, value & 0xff);
  }
  return bytes;
}

function ipv4Bytes(address: string): number[] {
  return address.split('.').map(Number);
}

function hostBitsSet(bytes: readonly number[], prefix: number): boolean {
  for (let bit = prefix; bit < bytes.length * 8; bit += 1) {
    const byte = bytes[bit >> 3] ?? 0;
    if ((byte >> (7 - (bit & 7))) & 1) return true;
  }
  return false;
}

function networkOf(bytes: readonly number[], prefix: number): number[] {
  return bytes.map((byte, index) => {
    const keep = Math.max(0, Math.min(8, prefix - index * 8));
    return byte & ((0xff << (8 - keep)) & 0xff);
  });
}

/**
 * `203.0.113.0/24` or `2001:db8::/32`: an IPv4 or IPv6 address (no zone), a decimal prefix
 * without leading zeros (0..32 or 0..128), and no host bits set beyond the prefix.
 */
export function checkCidr(text: string): string | undefined {
  const slash = text.indexOf('/');
  if (slash < 0 || slash !== text.lastIndexOf('/')) {
    return 'must be a CIDR range such as 203.0.113.0/24 or 2001:db8::/32 (a single address is /32 or /128)';
  }
  const address = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  const family = address.includes('%') ? 0 : isIP(address);
  if (family === 0) return `has "${address}", which is not an IPv4 or IPv6 address`;
  const maxPrefix = family === 4 ? 32 : 128;
  if (!PREFIX.test(prefixText) || Number(prefixText) > maxPrefix) {
    return `has prefix "${prefixText}"; an IPv${family} prefix is a whole number from 0 to ${maxPrefix}`;
  }
  const prefix = Number(prefixText);
  const bytes = family === 4 ? ipv4Bytes(address) : ipv6Bytes(address);
  if (hostBitsSet(bytes, prefix)) {
    const network = networkOf(bytes, prefix);
    const suggestion = family === 4 ? ` (the range is ${network.join('.')}/${prefix})` : '';
    return `has host bits set beyond the /${prefix} prefix${suggestion}`;
  }
  return undefined;
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const URL_SCHEMES: ReadonlySet<string> = new Set(['http:', 'https:', 'ws:', 'wss:']);

function checkHostname(hostname: string): string | undefined {
  if (hostname.startsWith('[') || isIP(hostname) !== 0) return undefined;
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  if (name.length === 0 || name.length > 253) return 'has a hostname of 1 to 253 characters';
  return name.split('.').every((label) => LABEL.test(label))
    ? undefined
    : `has "${hostname}", which is not a valid hostname`;
}

/**
 * A target site: a hostname (optionally with a port), an IP address, or an http(s)/ws(s) URL.
 * Internationalised names are accepted and checked in their ASCII (punycode) form.
 */
export function checkTargetSite(text: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(text)) return 'must not contain spaces or control characters';
  if (text.includes('://')) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return 'is not a valid URL';
    }
    if (!URL_SCHEMES.has(url.protocol)) return 'must be an http(s) or ws(s) URL, or a hostname';
    if (url.username !== '' || url.password !== '') return 'must not carry credentials';
    return checkHostname(url.hostname);
  }
  if (/[/?#@]/.test(text)) return 'must be a hostname, an IP address or a URL with a scheme';
  const bareIp = isIP(text) !== 0;
  let url: URL;
  try {
    url = new URL(`http://${bareIp && text.includes(':') ? `[${text}]` : text}`);
  } catch {
    return 'is not a valid hostname';
  }
  return checkHostname(url.hostname);
}
