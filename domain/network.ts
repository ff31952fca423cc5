// Address rules for the vault's firewall and the two private networks. Pure functions returning
// the broken rule (or undefined); the config schema and the components both call them.

/** True when a CIDR block's address has bits set below its prefix (not a network address). */
function hostBitsSet(octets: number[], prefix: number): boolean {
  const addr = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return (addr & ~mask) >>> 0 !== 0;
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(\/(\d{1,2}))?$/;
/** "010.1.1.1" is 10.1.1.1 to some parsers and 8.1.1.1 to others: one spelling only. */
const LEADING_ZERO = "has a number with a leading zero (write 10.1.1.1, not 010.1.1.1)";
function leadingZero(m: RegExpExecArray): boolean {
  return [m[1], m[2], m[3], m[4], m[6]].some(
    (x) => x !== undefined && x.length > 1 && x.startsWith("0"),
  );
}
/** Ranges Azure storage IP rules do not accept: this host, private, shared, link-local, multicast. */
const NON_PUBLIC_RANGES: readonly [string, number][] = [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
  ["224.0.0.0", 3],
];

/**
 * The widest block a vault firewall rule may admit. Azure accepts /8, but a /8 lets 16 million
 * addresses try a leaked SAS or key; an admin network is a /24 or narrower.
 */
export const WIDEST_IP_RULE_PREFIX = 24;

/**
 * IPv4 address or CIDR block that Azure storage network rules accept (public, prefix /8-/30),
 * and no wider than WIDEST_IP_RULE_PREFIX.
 */
export function ipRuleProblem(value: string): string | undefined {
  const m = IPV4_CIDR.exec(value);
  if (!m) return "must be an IPv4 address or CIDR block (e.g. 203.0.113.10 or 203.0.113.0/28)";
  if (leadingZero(m)) return LEADING_ZERO;
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return "has an octet above 255";
  if (m[6] !== undefined && (Number(m[6]) < 8 || Number(m[6]) > 30))
    return "Azure storage IP rules accept prefixes /8 to /30 only";
  // The whole range must be public: a block such as 172.0.0.0/8 that only starts outside a
  // private range still contains one.
  const bits = m[6] === undefined ? 32 : Number(m[6]);
  const start = octets.reduce((acc, o) => acc * 256 + o, 0);
  const first = start - (start % 2 ** (32 - bits));
  const last = first + 2 ** (32 - bits) - 1;
  const notPublic = NON_PUBLIC_RANGES.some(([net, len]) => {
    const lo = net.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
    const hi = lo + 2 ** (32 - len) - 1;
    return first <= hi && lo <= last;
  });
  if (notPublic)
    return "must be a public address or range: Azure storage IP rules ignore private, shared, link-local and multicast ranges (a range must not contain any of them)";
  if (m[6] !== undefined && hostBitsSet(octets, Number(m[6])))
    return "has host bits set (not a network address)";
  if (bits < WIDEST_IP_RULE_PREFIX)
    return `is a /${bits}, wider than /${WIDEST_IP_RULE_PREFIX}: the vault's firewall admits blocks of at most 256 addresses (list the admin network's own /${WIDEST_IP_RULE_PREFIX} or narrower blocks)`;
  return undefined;
}

/** A private IPv4 CIDR block with a prefix between /16 and /28. */
export function cidrProblem(value: string): string | undefined {
  const m = IPV4_CIDR.exec(value);
  if (!m || m[6] === undefined) return "must be an IPv4 CIDR block such as 10.42.0.0/24";
  if (leadingZero(m)) return LEADING_ZERO;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[6]);
  if (octets.some((o) => o > 255)) return "has an octet above 255";
  if (prefix < 16 || prefix > 28) return "prefix must be between /16 and /28";
  if (hostBitsSet(octets, prefix)) return "has host bits set (not a network address)";
  const [a, b] = octets;
  if (!(a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)))
    return "must be a private (RFC 1918) range";
  return undefined;
}

/**
 * At most this many egressCidrs: a security group holds 60 outbound rules by default, and the S3
 * gateway endpoint's prefix list takes some of them.
 * https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-security-groups
 */
export const MAX_EGRESS_CIDRS = 50;

/** An IPv4 CIDR block (any prefix /0-/32, without host bits) a security group rule can name. */
export function egressCidrProblem(value: string): string | undefined {
  const m = IPV4_CIDR.exec(value);
  if (!m || m[6] === undefined)
    return "must be an IPv4 CIDR block such as 0.0.0.0/0, 203.0.113.0/24 or 10.0.5.10/32";
  if (leadingZero(m)) return LEADING_ZERO;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[6]);
  if (octets.some((o) => o > 255)) return "has an octet above 255";
  if (prefix > 32) return "prefix must be between /0 and /32";
  if (hostBitsSet(octets, prefix)) return "has host bits set (not a network address)";
  return undefined;
}
