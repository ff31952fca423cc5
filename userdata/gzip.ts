import { gzipSync } from "node:zlib";

/**
 * gzip that gives the same bytes on every machine: level 9, no timestamp (zlib writes 0), and the
 * header's OS byte fixed to 3 (Unix), which zlib otherwise sets from the platform it was built
 * for (19 on macOS). User-data and the engine's SSM parameters are compared byte for byte by
 * Pulumi, so a deploy from another platform must not change them (and replace the host).
 * https://www.rfc-editor.org/rfc/rfc1952#section-2.3
 */
export function stableGzip(data: Buffer): Buffer {
  const gz = gzipSync(data, { level: 9 });
  gz[9] = 3;
  return gz;
}
