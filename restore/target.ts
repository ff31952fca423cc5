// Where a restore writes: an S3 bucket and prefix, or a local directory. A writer reads every
// byte of an object, then asks the body for its verdict (VerifiedBody.check: size and MD5 of the
// bytes read against the blob's content record, domain/verdict.ts), and commits only if the body
// accepts: a single PUT is sent after the check and carries the MD5 of the bytes read as
// Content-MD5, a multipart upload is completed after the check and aborted when it refuses, a
// file is written to a temporary name and renamed after it.
//
// A directory target writes only inside its root: a key with an empty, "." or ".." segment, a
// path that resolves outside the root, or a path through a symbolic link in the target is
// reported, never written, and checked again (the parent's realpath) when the file is written.
// A backslash in a key is part of the file name on Linux and macOS; on Windows, where it
// separates folders, such a key is reported instead.
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";

/** What the restored object should carry besides its bytes (what the blob has). */
export interface ObjectHeaders {
  contentType?: string;
  contentEncoding?: string;
  contentLanguage?: string;
  contentDisposition?: string;
  cacheControl?: string;
  metadata: Record<string, string>;
}

/**
 * The bytes read are refused (nothing may be committed): they differ from a consistent content
 * record or read short ("mismatch", unless --accept-mismatch), or nothing trustworthy could
 * check them ("unverified", with --strict).
 */
export class ContentRefused extends Error {
  constructor(
    readonly verdict: "mismatch" | "unverified",
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** A stream of the object's bytes plus the check to run before committing them. */
export interface VerifiedBody {
  chunks: AsyncIterable<Buffer>;
  /**
   * Called once every chunk was read, before anything is committed: throws ContentRefused when
   * the bytes read must not be committed (the restore's verdict and options decide).
   */
  check(): void;
  /** Hex MD5 of the bytes read so far (all of them once `chunks` is exhausted). */
  md5(): string;
}

export interface Existing {
  size: number;
  /** S3 ETag without quotes (an MD5 for single-part uploads without SSE-KMS). */
  etag?: string;
}

export interface Target {
  readonly kind: "s3" | "dir";
  /** For messages: s3://bucket/prefix or the directory. */
  readonly label: string;
  readonly bucket?: string;
  readonly prefix: string;
  /** Keys (relative to the restore) that cannot be written here, with the reason. */
  unwritable(keys: string[]): Map<string, string>;
  /** What the target already holds, by key relative to the restore's prefix. */
  existing(keyPrefix: string): Promise<Map<string, Existing>>;
  /** Hex MD5 of what the target holds under a key (read in full). */
  contentMd5(key: string): Promise<string>;
  /**
   * Writes one object. Unless `replace`, the write fails when the key appeared in the target
   * since it was listed (S3: If-None-Match: *; a directory: a hard link, which never replaces).
   */
  write(
    key: string,
    size: number,
    headers: ObjectHeaders,
    body: VerifiedBody,
    replace: boolean,
  ): Promise<void>;
  /** Size of what the target holds after a write (the post-write check). */
  sizeOf(key: string): Promise<number | undefined>;
}

export const PART_BYTES = 16 * 1024 * 1024;
/** S3 allows 10,000 parts; larger objects get larger parts. */
export function partSize(size: number): number {
  const min = Math.ceil(size / 10_000);
  return Math.max(PART_BYTES, Math.ceil(min / (1024 * 1024)) * 1024 * 1024);
}

/** Cuts a byte stream into parts of exactly `size` bytes (the last may be shorter). */
export async function* parts(chunks: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let have = 0;
  for await (const c of chunks) {
    let rest = c;
    while (have + rest.length >= size) {
      const take = size - have;
      pending.push(rest.subarray(0, take));
      yield Buffer.concat(pending);
      pending = [];
      have = 0;
      rest = rest.subarray(take);
    }
    if (rest.length) {
      pending.push(rest);
      have += rest.length;
    }
  }
  if (have > 0 || pending.length) yield Buffer.concat(pending);
}

const md5b64 = (b: Buffer) => createHash("md5").update(b).digest("base64");

/** The S3 client for a restore: standard credential chain; AWS_ENDPOINT_URL_S3 as the SDKs do. */
export function s3Client(
  opts: {
    region?: string;
    endpoint?: string;
    credentials?: { accessKeyId: string; secretAccessKey: string };
  } = {},
): S3Client {
  const endpoint = opts.endpoint ?? (process.env.AWS_ENDPOINT_URL_S3 || undefined);
  return new S3Client({
    region: opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION,
    endpoint,
    credentials: opts.credentials,
    // An endpoint override (an emulator, a private endpoint by IP) is addressed path-style.
    forcePathStyle: endpoint !== undefined,
    // We send Content-MD5 ourselves; the SDK's streaming checksums use aws-chunked bodies that
    // S3 emulators store verbatim.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: 5,
  });
}

export function parseS3Target(to: string): { bucket: string; prefix: string } | undefined {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(to);
  return m ? { bucket: m[1], prefix: m[2] ?? "" } : undefined;
}

export class S3Target implements Target {
  readonly kind = "s3";
  readonly label: string;
  constructor(
    readonly client: S3Client,
    readonly bucket: string,
    readonly prefix: string,
  ) {
    this.label = `s3://${bucket}/${prefix}`;
  }

  unwritable(keys: string[]): Map<string, string> {
    const out = new Map<string, string>();
    for (const k of keys) {
      const bytes = Buffer.byteLength(this.prefix + k);
      if (bytes > 1024)
        out.set(k, `the key would be ${bytes} bytes with the prefix; S3 allows 1,024`);
    }
    return out;
  }

  async existing(keyPrefix: string): Promise<Map<string, Existing>> {
    const out = new Map<string, Existing>();
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.prefix + keyPrefix,
          ContinuationToken: token,
        }),
      );
      for (const o of page.Contents ?? [])
        out.set(o.Key!.slice(this.prefix.length), {
          size: o.Size ?? 0,
          etag: o.ETag?.replace(/"/g, ""),
        });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  async contentMd5(key: string): Promise<string> {
    const got = await this.client.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }),
    );
    const h = createHash("md5");
    for await (const c of got.Body as AsyncIterable<Buffer>) h.update(c);
    return h.digest("hex");
  }

  async sizeOf(key: string): Promise<number | undefined> {
    try {
      const h = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }),
      );
      return h.ContentLength;
    } catch (e) {
      if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
        return undefined;
      throw e;
    }
  }

  async write(
    key: string,
    size: number,
    headers: ObjectHeaders,
    body: VerifiedBody,
    replace: boolean,
  ) {
    // S3 conditional writes: https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
    const ifNew = replace ? {} : { IfNoneMatch: "*" };
    const common = {
      Bucket: this.bucket,
      Key: this.prefix + key,
      ContentType: headers.contentType,
      ContentEncoding: headers.contentEncoding,
      ContentLanguage: headers.contentLanguage,
      ContentDisposition: headers.contentDisposition,
      CacheControl: headers.cacheControl,
      Metadata: Object.keys(headers.metadata).length ? headers.metadata : undefined,
    };
    const part = partSize(size);
    if (size <= part) {
      const chunks: Buffer[] = [];
      for await (const c of body.chunks) chunks.push(c);
      body.check();
      const data = Buffer.concat(chunks);
      await this.client.send(
        new PutObjectCommand({
          ...common,
          ...ifNew,
          Body: data,
          ContentLength: data.length,
          // The MD5 of the bytes read (never the vault's claim): S3 checks what it receives.
          ContentMD5: md5b64(data),
        }),
      );
      return;
    }
    const { UploadId } = await this.client.send(new CreateMultipartUploadCommand(common));
    const done: { ETag?: string; PartNumber: number }[] = [];
    try {
      let n = 1;
      for await (const p of parts(body.chunks, part)) {
        const r = await this.client.send(
          new UploadPartCommand({
            Bucket: this.bucket,
            Key: this.prefix + key,
            UploadId,
            PartNumber: n,
            Body: p,
            ContentLength: p.length,
            ContentMD5: md5b64(p),
          }),
        );
        done.push({ ETag: r.ETag, PartNumber: n });
        n++;
      }
      // Refused bytes are never committed: the catch below aborts the upload.
      body.check();
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: this.prefix + key,
          UploadId,
          MultipartUpload: { Parts: done },
          ...ifNew,
        }),
      );
    } catch (e) {
      await this.client
        .send(
          new AbortMultipartUploadCommand({
            Bucket: this.bucket,
            Key: this.prefix + key,
            UploadId,
          }),
        )
        .catch(() => undefined);
      throw e;
    }
  }
}

/** Whether `p` is `root` or below it (both absolute, in the same path rules). */
function inside(paths: path.PlatformPath, root: string, p: string): boolean {
  const rel = paths.relative(root, p);
  return (
    rel === "" || (rel !== ".." && !rel.startsWith(`..${paths.sep}`) && !paths.isAbsolute(rel))
  );
}

/** O_NOFOLLOW where the platform has it (not on Windows). */
const NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;

/** Linux limits: 255 bytes per name, 4,095 per path. */
const NAME_MAX = 255;
const PATH_MAX = 4095;

export class DirTarget implements Target {
  readonly kind = "dir";
  readonly label: string;
  readonly prefix = "";
  /** The path rules of the platform the files are written on (a parameter for tests). */
  private readonly paths: path.PlatformPath;
  constructor(
    readonly dir: string,
    readonly platform: NodeJS.Platform = process.platform,
  ) {
    this.paths = platform === "win32" ? path.win32 : path.posix;
    this.label = path.resolve(dir);
  }

  private file(key: string): string {
    return path.join(this.label, ...key.split("/"));
  }

  /**
   * Why the key's file would not lie inside the root by its name alone, or undefined: an empty,
   * "." or ".." segment, a NUL, a backslash where it separates folders (Windows), or a path that
   * resolves outside the root.
   */
  escape(key: string): string | undefined {
    const segs = key.split("/");
    if (segs.some((s) => s === "" || s === "." || s === ".."))
      return "the key has an empty, '.' or '..' path segment: its file would not be inside the target directory";
    if (key.includes("\0")) return "a file name cannot hold a NUL character";
    if (this.platform === "win32" && key.includes("\\"))
      return "the key holds a backslash, which Windows reads as a folder separator: restore it to S3, or to a directory on Linux or macOS (where it stays part of the file name)";
    const root = this.paths.resolve(this.label);
    const file = this.paths.resolve(root, ...segs);
    if (file === root || !inside(this.paths, root, file))
      return "its file would not be inside the target directory";
    return undefined;
  }

  /**
   * The first path under the root on the way to the key's file (a folder, or the file itself)
   * that is a symbolic link in the target, relative to the root; `seen` caches lstat by path.
   */
  private symlinkOnPath(key: string, seen: Map<string, boolean>): string | undefined {
    const segs = key.split("/");
    let p = this.label;
    for (let i = 0; i < segs.length; i++) {
      p = path.join(p, segs[i]);
      let link = seen.get(p);
      if (link === undefined) {
        let st: fs.Stats | undefined;
        try {
          st = fs.lstatSync(p, { throwIfNoEntry: false });
        } catch {
          st = undefined; // ENAMETOOLONG, ENOTDIR, EACCES: the write reports it
        }
        link = st?.isSymbolicLink() === true;
        seen.set(p, link);
        // Nothing below a missing folder exists yet.
        if (st === undefined) return undefined;
      }
      if (link) return segs.slice(0, i + 1).join("/");
    }
    return undefined;
  }

  unwritable(keys: string[]): Map<string, string> {
    const out = new Map<string, string>();
    const sorted = [...keys].sort();
    const all = new Set(keys);
    const seen = new Map<string, boolean>();
    for (const k of sorted) {
      const segs = k.split("/");
      const long = segs.find((s) => Buffer.byteLength(s) > NAME_MAX);
      const escape = this.escape(k);
      const link = escape === undefined ? this.symlinkOnPath(k, seen) : undefined;
      if (escape !== undefined) out.set(k, escape);
      else if (link !== undefined)
        out.set(
          k,
          `${JSON.stringify(link)} in the target is a symbolic link; a restore never writes through one`,
        );
      else if (long !== undefined)
        out.set(
          k,
          `a path segment is ${Buffer.byteLength(long)} bytes; a file name holds at most ${NAME_MAX}`,
        );
      else if (Buffer.byteLength(this.file(k)) > PATH_MAX)
        out.set(k, `the path would be longer than ${PATH_MAX} bytes`);
      else
        for (let i = 1; i < segs.length; i++) {
          const parent = segs.slice(0, i).join("/");
          if (all.has(parent)) {
            out.set(
              parent,
              `"${k}" is restored too: a directory cannot hold a file and a folder named "${segs[i - 1]}"`,
            );
          }
        }
    }
    return out;
  }

  existing(keyPrefix: string): Promise<Map<string, Existing>> {
    const out = new Map<string, Existing>();
    const walk = (dir: string, rel: string) => {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        if (e.name.startsWith(".ccb-restore-")) continue;
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) walk(path.join(dir, e.name), r);
        else if (e.isFile() && r.startsWith(keyPrefix))
          out.set(r, { size: fs.statSync(path.join(dir, e.name)).size });
      }
    };
    walk(this.label, "");
    return Promise.resolve(out);
  }

  async contentMd5(key: string): Promise<string> {
    const h = createHash("md5");
    const handle = await fs.promises.open(this.file(key), fs.constants.O_RDONLY | NOFOLLOW);
    for await (const c of handle.createReadStream()) h.update(c as Buffer);
    return h.digest("hex");
  }

  sizeOf(key: string): Promise<number | undefined> {
    const st = fs.lstatSync(this.file(key), { throwIfNoEntry: false });
    return Promise.resolve(st?.size);
  }

  /**
   * Creates the key's folders one at a time inside the root and returns the folder and the file;
   * throws (naming the reason) when the key would escape the root, a folder on its way or the
   * file is a symbolic link, or the folder's realpath is not inside the root's.
   */
  private folderFor(key: string): { dir: string; file: string } {
    const refuse = (why: string) => new Error(`refused: ${why}; nothing written`);
    const escape = this.escape(key);
    if (escape !== undefined) throw refuse(escape);
    const segs = key.split("/");
    fs.mkdirSync(this.label, { recursive: true });
    const root = fs.realpathSync(this.label);
    let dir = this.label;
    for (let i = 0; i < segs.length; i++) {
      const p = path.join(dir, segs[i]);
      if (i < segs.length - 1) {
        try {
          fs.mkdirSync(p);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
        }
      }
      if (fs.lstatSync(p, { throwIfNoEntry: false })?.isSymbolicLink())
        throw refuse(
          `${JSON.stringify(segs.slice(0, i + 1).join("/"))} in the target is a symbolic link; a restore never writes through one`,
        );
      if (i < segs.length - 1) dir = p;
    }
    const real = fs.realpathSync(dir);
    if (!inside(path, root, real))
      throw refuse(`its folder resolves to ${real}, outside the target directory ${root}`);
    return { dir, file: path.join(dir, segs[segs.length - 1]) };
  }

  async write(
    key: string,
    _size: number,
    _headers: ObjectHeaders,
    body: VerifiedBody,
    replace: boolean,
  ) {
    const { dir, file } = this.folderFor(key);
    const tmp = path.join(dir, `.ccb-restore-${process.pid}-${randomBytes(6).toString("hex")}`);
    const { O_WRONLY, O_CREAT, O_EXCL } = fs.constants;
    const fd = fs.openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | NOFOLLOW, 0o644);
    try {
      for await (const c of body.chunks) fs.writeSync(fd, c);
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      body.check();
      if (replace) fs.renameSync(tmp, file);
      else {
        fs.linkSync(tmp, file); // EEXIST when the file appeared since the listing
        fs.rmSync(tmp);
      }
    } catch (e) {
      try {
        fs.closeSync(fd);
      } catch {
        // already closed
      }
      fs.rmSync(tmp, { force: true });
      throw e;
    }
  }
}
