import { createReadStream } from 'node:fs';
import { open as openFile, readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createGunzip } from 'node:zlib';
import type { ListObjectsV2CommandOutput, S3Client } from '@aws-sdk/client-s3';
import { config } from '#commons/config';
import { UnprocessableError, ValidationError } from '#commons/errors';
import { loadS3, s3 } from '#commons/s3';
import {
  CaptureFormatError,
  type CaptureRecord,
  CsvParser,
  CsvRecords,
  captureLineRecords,
  type FieldOptions,
  HOUR_MS,
  hourFloor,
  hourOfKey,
  hourPath,
  jsonLineRecord,
  MAX_RECORD_CHARS,
  splitDatePrefix,
  windowHours,
} from '#domain/drift/capture';

/**
 * Streaming reads of reference datasets and captured inference data, from S3 and (local mode
 * only) from `file://` paths. Memory stays bounded whatever the size of the data: objects are
 * read one at a time as byte streams (gunzipped on the way when the key ends with `.gz` or the
 * object's Content-Encoding is gzip), decoded with a `StringDecoder` (a byte order mark
 * dropped), cut into lines by scanning for LF (CSV: an RFC 4180 parser over the character
 * stream), and handed on in batches of one decoded chunk's records. What is held at any time: one chunk, one partial line (at most
 * `maxLineLength` characters, 16 MiB by default) and one batch of records.
 *
 * Locations (`parseDatasetUri`):
 * - `s3://bucket/key`: that object; when no such object exists, the folder `key/`;
 * - `s3://bucket/prefix/` (or `s3://bucket`): every object under the prefix, in key order
 *   (ListObjectsV2, followed page by page);
 * - `file:///absolute/path` (local mode only; any other mode answers 400): a file, or a folder
 *   read recursively, names sorted.
 * In folders, keys ending with `/` and names starting with `.` or `_` (`_SUCCESS`, `.crc`) are
 * skipped.
 *
 * SageMaker data capture and time windows: capture files live under
 * `<prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/<file>.jsonl` (UTC hours). With `from` and `to`,
 * a `sagemaker-capture` read of an S3 folder lists only the hour folders of the window:
 * - the URI may point at the variant folder (the one holding year folders), at a year, month,
 *   day or hour folder below it (`.../AllTraffic/2026/11/`: only that period's hour folders are
 *   listed; records are still kept by [from, to) alone), or at any folder above the variant (an
 *   endpoint folder, the capture root): folders above are walked with delimiter listings, at
 *   most 4 levels down, until folders that hold year folders (`dddd/`); every such variant
 *   folder found is read;
 * - the folders listed are the hours that intersect [from, to), plus the hour before `from`
 *   (a file lands in the folder of the hour it was written, which may hold the last records of
 *   the hour before);
 * - when no folder with year folders is found, or the window spans more than
 *   `MAX_HOUR_LISTINGS` hours, or only one of `from`/`to` is given, every object under the URI is
 *   listed and those in hour folders outside the window are skipped (the records are the same).
 * Records are then kept when `eventMetadata.inferenceTime` lies in [from, to); records without a
 * readable time are dropped (counted in `stats.untimed`). For `jsonl` and `csv`, the window
 * applies to records only, and only when `time` names their time field.
 */

export type DatasetFormat = 'sagemaker-capture' | 'jsonl' | 'csv';
export const DATASET_FORMATS: readonly DatasetFormat[] = ['sagemaker-capture', 'jsonl', 'csv'];

export type DatasetLocation =
  | { scheme: 's3'; uri: string; bucket: string; key: string }
  | { scheme: 'file'; uri: string; path: string };

/** Hour folders listed one by one at most; a longer window lists the whole folder instead. */
export const MAX_HOUR_LISTINGS = 24 * 92;
/** A line longer than this many characters is an error (it would otherwise be held whole). */
export const MAX_LINE_LENGTH = MAX_RECORD_CHARS;
/** How many folder levels above the variant folder are walked to find year folders. */
const MAX_WALK_DEPTH = 4;

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Checks a dataset or capture URI: `s3://bucket[/key]`, or in local mode `file:///absolute/path`.
 * Anything else throws a ValidationError (400) whose problem points at `path` (the request field).
 */
export const parseDatasetUri = (uri: string, mode: 'local' | 'aws', path = 'uri'): DatasetLocation => {
  const invalid = (message: string) => new ValidationError(message, { errors: [{ path, message }] });
  if (uri.startsWith('s3://')) {
    const rest = uri.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const key = slash < 0 ? '' : rest.slice(slash + 1);
    if (!BUCKET.test(bucket)) throw invalid(`${JSON.stringify(bucket)} is not an S3 bucket name`);
    return { scheme: 's3', uri, bucket, key };
  }
  if (/^file:/i.test(uri)) {
    if (mode !== 'local') throw invalid('file:// URIs are accepted in local mode only; use an s3:// URI');
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw invalid('not a valid file:// URI');
    }
    if (!uri.toLowerCase().startsWith('file:///') || (url.host !== '' && url.host !== 'localhost'))
      throw invalid('a file URI must be file:///absolute/path');
    return { scheme: 'file', uri, path: fileURLToPath(url) };
  }
  throw invalid(mode === 'local' ? 'expected an s3:// or file:/// URI' : 'expected an s3:// URI');
};

export interface ReadStats {
  /** objects (files) opened */
  objects: number;
  /** bytes read, after gunzip */
  bytes: number;
  /** lines (CSV: records, header included) read */
  lines: number;
  /** records handed on */
  records: number;
  /** records dropped because their time lies outside the window */
  outsideWindow: number;
  /** records dropped because a window was given and they have no readable time */
  untimed: number;
  /** list requests (S3) */
  listings: number;
}

export interface ListOptions {
  from?: Date;
  to?: Date;
  /** list SageMaker `yyyy/mm/dd/hh` hour folders (see above) */
  hourFolders?: boolean;
  /** the request field that holds the URI, for the 400 */
  uriPath?: string;
  maxLineLength?: number;
  /** the S3 client; the process's by default */
  client?: S3Client;
}

export interface ReadOptions extends ListOptions, FieldOptions {
  format: DatasetFormat;
  /**
   * read exactly these objects (a share of `listObjects`), in this order, instead of listing the
   * URI; taken one at a time as the read reaches them
   */
  objects?: Iterable<ListedObject>;
  /** the ordered feature names, needed for positional (CSV-encoded, array) capture inputs */
  features?: readonly string[];
}

/** A dataset that cannot be read as its format says: 422, naming the object and the line. */
export class DatasetFormatError extends UnprocessableError {
  override readonly name: string = 'DatasetFormatError';
  readonly object: string;
  readonly line: number;
  /** what is wrong, without the object and line */
  readonly reason: string;
  constructor(object: string, line: number, message: string, cause?: unknown) {
    super(`${object} line ${line}: ${message}`, { cause });
    this.object = object;
    this.line = line;
    this.reason = message;
  }
}

interface SourceObject {
  /** a URI naming the object in messages (and `listObjects`' answer) */
  name: string;
  /** bytes as stored (compressed when gzip), when the listing said */
  size?: number;
  /** for the hour filter: the key or path relative to the URI's folder */
  key: string;
  open(): Promise<Opened>;
  /** A part of the object (`ListedObject.start`/`end`): the lines that begin at a byte in [start, end). */
  part?: { start: number; end: number };
  /** The object's bytes from `from` on, as far as the caller reads (`until`: how far it reads at least); for parts. */
  openAt?(from: number, until: number): Promise<ByteRange>;
}

/** An object's bytes from an offset on; `gzip`: the object turned out gzip-encoded (read whole, not from an offset). */
type ByteRange = { chunks: AsyncGenerator<Buffer> } | { gzip: true };

/** A stream to read (S3, gzip), or a plain file read into one reused buffer. */
type Opened = { stream: Readable; gzip: boolean } | { path: string };

/** Bytes decoded (and their records batched) at a time. */
const CHUNK_BYTES = 64 * 1024;
/**
 * Bytes asked of the file system at a time. Each `FileHandle.read` is a round trip through the
 * libuv threadpool (a task queued, a pool thread woken, the answer posted back to the event loop);
 * at 64 KiB a read, those round trips cost about 1 to 1.5 CPU seconds a GiB on top of the copy
 * (measured: 0.25 s a GiB with 1 MiB reads), taken from the other cores a drift run's threads use.
 */
const READ_BYTES = 16 * CHUNK_BYTES;

/**
 * Pairs of read buffers that files done with have handed back, for the next file (this thread's
 * own: each thread has its module instance). A fresh 1 MiB buffer is 256 pages the kernel must
 * fault in as the first read fills it, which cost this machine about as much as the copy itself;
 * a window is read file after file, so one pair serves them all.
 */
const SPARE_BUFFERS: [Buffer, Buffer][] = [];
const SPARE_BUFFERS_KEPT = 2;

/**
 * A plain file as chunks of two reused buffers: a read stream allocates a buffer per chunk, and
 * those wait for a garbage collection (tens of MB per thread in the drift job). The file is read
 * `READ_BYTES` at a time and handed on `CHUNK_BYTES` at a time, so a batch of records stays one
 * small chunk's. While one buffer's chunks are handed on, the next read fills the other: the
 * thread parsing does not wait for the pool thread reading, which on a machine whose every core
 * parses would first have to get a core. Each chunk is valid until the next is asked for.
 */
async function* fileChunks(path: string, from?: number, until?: number): AsyncGenerator<Buffer> {
  const handle = await openFile(path, 'r');
  // From an offset (a part), each read says where (else the file position moves on by itself),
  // and reads no further than `until` and a chunk: past it, a part reads only to the end of its
  // last line, so a chunk at a time.
  let position = from;
  const readSize = () =>
    position === undefined || until === undefined
      ? READ_BYTES
      : Math.min(READ_BYTES, Math.max(CHUNK_BYTES, until - position));
  const buffers = SPARE_BUFFERS.pop() ?? [
    Buffer.allocUnsafeSlow(READ_BYTES),
    Buffer.allocUnsafeSlow(READ_BYTES),
  ];
  const readInto = (buffer: Buffer) => {
    const read = handle.read(buffer, 0, readSize(), position ?? null);
    // Observed now, awaited later: a failed read ahead is no unhandled rejection meanwhile.
    read.catch(() => undefined);
    return read;
  };
  let which = 0;
  let pending: Promise<{ bytesRead: number }> | undefined = readInto(buffers[0]);
  try {
    for (;;) {
      const { bytesRead } = await pending;
      pending = undefined;
      if (bytesRead === 0) return;
      if (position !== undefined) position += bytesRead;
      const buffer = buffers[which]!;
      which = 1 - which;
      pending = readInto(buffers[which]!);
      for (let at = 0; at < bytesRead; at += CHUNK_BYTES)
        yield buffer.subarray(at, Math.min(at + CHUNK_BYTES, bytesRead));
    }
  } finally {
    // A read ahead still running when the caller stops ends before the file closes and its
    // buffers go back (the caller holds no chunk past the end).
    await pending?.catch(() => undefined);
    await handle.close();
    if (SPARE_BUFFERS.length < SPARE_BUFFERS_KEPT) SPARE_BUFFERS.push(buffers);
  }
}

const openLocalFile = async (path: string): Promise<Opened> =>
  isGzipName(path)
    ? { stream: createReadStream(path, { highWaterMark: CHUNK_BYTES }), gzip: true }
    : { path };

const isGzipName = (name: string): boolean => name.toLowerCase().endsWith('.gz');

const skippedName = (key: string): boolean => {
  if (key.endsWith('/')) return true;
  const base = key.slice(key.lastIndexOf('/') + 1);
  return base.startsWith('.') || base.startsWith('_');
};

const isNotFound = (error: unknown): boolean => {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
};

const emptyStats = (): ReadStats => ({
  objects: 0,
  bytes: 0,
  lines: 0,
  records: 0,
  outsideWindow: 0,
  untimed: 0,
  listings: 0,
});

/** The window as milliseconds, checked. */
const windowOf = (options: ListOptions): { from: number | undefined; to: number | undefined } => {
  const from = options.from?.getTime();
  const to = options.to?.getTime();
  if (from !== undefined && Number.isNaN(from)) throw new ValidationError('from is not a valid time');
  if (to !== undefined && Number.isNaN(to)) throw new ValidationError('to is not a valid time');
  if (from !== undefined && to !== undefined && !(from < to))
    throw new ValidationError('the window is empty: from must be before to');
  return { from, to };
};

/** Whether an object's hour folder (when it has one) can hold records of the window. */
const hourMayHold = (key: string, from: number | undefined, to: number | undefined): boolean => {
  const hour = hourOfKey(key);
  if (hour === undefined) return true;
  if (from !== undefined && hour < hourFloor(from) - HOUR_MS) return false;
  if (to !== undefined && hour >= to) return false;
  return true;
};

// ---------------------------------------------------------------------------------------------
// Listing

class S3Lister {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly stats: ReadStats,
  ) {}

  private async page(prefix: string, token: string | undefined, delimiter?: string) {
    this.stats.listings++;
    const { ListObjectsV2Command } = await loadS3();
    return (await this.client.send(
      new ListObjectsV2Command({
        Bucket: this.bucket,
        Prefix: prefix,
        ...(token !== undefined ? { ContinuationToken: token } : {}),
        ...(delimiter !== undefined ? { Delimiter: delimiter } : {}),
      }),
    )) as ListObjectsV2CommandOutput;
  }

  /** Every key under a prefix (with its size), in key order, page by page. */
  async *keys(prefix: string): AsyncGenerator<{ key: string; size: number }> {
    let token: string | undefined;
    do {
      const page = await this.page(prefix, token);
      for (const object of page.Contents ?? [])
        if (object.Key !== undefined) yield { key: object.Key, size: object.Size ?? 0 };
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  /** The sub-folders (common prefixes) of a folder. */
  async folders(prefix: string): Promise<string[]> {
    const folders: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.page(prefix, token, '/');
      for (const common of page.CommonPrefixes ?? []) if (common.Prefix) folders.push(common.Prefix);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return folders;
  }

  /** Folders at or below `prefix` that hold year folders (`dddd/`): variant folders. */
  async dateRoots(prefix: string, depth = 0): Promise<string[]> {
    const folders = await this.folders(prefix);
    if (folders.some((folder) => /^\d{4}\/$/.test(folder.slice(prefix.length)))) return [prefix];
    if (depth >= MAX_WALK_DEPTH) return [];
    const roots: string[] = [];
    for (const folder of folders) roots.push(...(await this.dateRoots(folder, depth + 1)));
    return roots;
  }
}

async function* s3Objects(
  location: Extract<DatasetLocation, { scheme: 's3' }>,
  options: ListOptions,
  stats: ReadStats,
): AsyncGenerator<SourceObject> {
  const client = options.client ?? (await s3());
  const { GetObjectCommand, HeadObjectCommand } = await loadS3();
  const { bucket } = location;
  const objectAt = (key: string, relativeKey: string, size?: number): SourceObject => ({
    name: `s3://${bucket}/${key}`,
    key: relativeKey,
    ...(size !== undefined ? { size } : {}),
    open: async () => {
      const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const stream = answer.Body as Readable | undefined;
      if (!stream) throw new Error(`s3://${bucket}/${key} has no body`);
      return { stream, gzip: isGzipName(key) || /gzip/i.test(answer.ContentEncoding ?? '') };
    },
  });

  let prefix = location.key;
  if (prefix !== '' && !prefix.endsWith('/')) {
    try {
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: prefix }));
      yield objectAt(prefix, prefix.slice(prefix.lastIndexOf('/') + 1), head.ContentLength);
      return;
    } catch (error) {
      if (!isNotFound(error)) throw error;
      prefix = `${prefix}/`;
    }
  }

  const lister = new S3Lister(client, bucket, stats);
  const { from, to } = windowOf(options);
  if (options.hourFolders && from !== undefined && to !== undefined) {
    const split = splitDatePrefix(prefix);
    const roots =
      split.from !== undefined
        ? [{ base: split.base, from: split.from, to: split.to }]
        : (await lister.dateRoots(prefix)).map((base) => ({ base, from: undefined, to: undefined }));
    const plans = roots.map((root) => ({
      base: root.base,
      hours: windowHours(from, to, root.from, root.to),
    }));
    const listings = plans.reduce((total, plan) => total + plan.hours.length, 0);
    if (roots.length > 0 && listings <= MAX_HOUR_LISTINGS) {
      for (const { base, hours } of plans)
        for (const hour of hours)
          for await (const { key, size } of lister.keys(base + hourPath(hour)))
            if (!skippedName(key)) yield objectAt(key, key.slice(prefix.length), size);
      return;
    }
  }
  for await (const { key, size } of lister.keys(prefix)) {
    if (skippedName(key)) continue;
    const relativeKey = key.slice(prefix.length);
    if (options.hourFolders && !hourMayHold(relativeKey, from, to)) continue;
    yield objectAt(key, relativeKey, size);
  }
}

async function* walk(directory: string): AsyncGenerator<string> {
  const entries = await readdir(directory, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name.startsWith('_')) continue;
    const path = join(directory, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
    else if (entry.isSymbolicLink() && (await stat(path).catch(() => undefined))?.isFile()) yield path;
  }
}

async function* fileObjects(
  location: Extract<DatasetLocation, { scheme: 'file' }>,
  options: ListOptions,
): AsyncGenerator<SourceObject> {
  const objectAt = (path: string, key: string): SourceObject => ({
    name: `file://${path}`,
    key,
    open: () => openLocalFile(path),
  });
  const info = await stat(location.path).catch((error: unknown) => {
    if ((error as { code?: string }).code === 'ENOENT') return undefined;
    throw error;
  });
  if (info === undefined) return;
  if (!info.isDirectory()) {
    yield objectAt(location.path, location.path.slice(location.path.lastIndexOf(sep) + 1));
    return;
  }
  const { from, to } = windowOf(options);
  for await (const path of walk(location.path)) {
    const key = relative(location.path, path).split(sep).join('/');
    if (options.hourFolders && !hourMayHold(key, from, to)) continue;
    yield objectAt(path, key);
  }
}

// ---------------------------------------------------------------------------------------------
// Text

const CR = 13;

/** Cuts a character stream into lines at LF, a trailing CR dropped; a line may span pieces. */
class LineSplitter {
  private carry = '';
  /** lines completed */
  line = 0;
  constructor(private readonly max: number) {}

  private tooLong(): Error {
    return new LineTooLongError(this.line + 1, this.max);
  }

  feed(text: string, onLine: (line: string) => void): void {
    let newline = text.indexOf('\n');
    if (newline < 0) {
      this.carry = this.carry === '' ? text : this.carry + text;
      if (this.carry.length > this.max) throw this.tooLong();
      return;
    }
    let line = this.carry === '' ? text.slice(0, newline) : this.carry + text.slice(0, newline);
    this.carry = '';
    if (line.length > this.max) throw this.tooLong();
    this.line++;
    onLine(line.charCodeAt(line.length - 1) === CR ? line.slice(0, -1) : line);
    let start = newline + 1;
    while ((newline = text.indexOf('\n', start)) >= 0) {
      if (newline - start > this.max) throw this.tooLong();
      line = text.slice(
        start,
        text.charCodeAt(newline - 1) === CR && newline > start ? newline - 1 : newline,
      );
      this.line++;
      onLine(line);
      start = newline + 1;
    }
    this.carry = start < text.length ? text.slice(start) : '';
    if (this.carry.length > this.max) throw this.tooLong();
  }

  end(onLine: (line: string) => void): void {
    if (this.carry === '') return;
    const line = this.carry;
    this.carry = '';
    this.line++;
    onLine(line.charCodeAt(line.length - 1) === CR ? line.slice(0, -1) : line);
  }
}

export class LineTooLongError extends Error {
  override readonly name = 'LineTooLongError';
  constructor(
    readonly line: number,
    max: number,
  ) {
    super(`the line is longer than ${max} characters`);
  }
}

const isBlank = (line: string): boolean => {
  if (line.length === 0) return true;
  const c = line.charCodeAt(0);
  return (c === 32 || c === 9) && line.trim() === '';
};

const LF = 10;

/**
 * The bytes of a part's lines. A part owns the lines that begin at a byte in [start, end):
 * `chunks` are the object's bytes from `start - 1` on (from 0 for its first part); the part skips
 * them to past the first LF at or after `start - 1` (the line there began before `start`), and
 * ends with the first LF at or after `end - 1` (or at the object's end). So consecutive parts
 * read every line exactly once, an LF never being a byte of a longer UTF-8 character.
 * `owned.first` is set to the offset of the part's first byte, for line numbers in errors.
 */
async function* ownedBytes(
  chunks: AsyncGenerator<Buffer>,
  start: number,
  end: number,
  owned: { first: number },
): AsyncGenerator<Buffer> {
  let offset = start > 0 ? start - 1 : 0;
  let skipping = start > 0;
  owned.first = offset;
  for await (let chunk of chunks) {
    if (skipping) {
      const lf = chunk.indexOf(LF);
      if (lf < 0) {
        offset += chunk.length;
        continue;
      }
      skipping = false;
      chunk = chunk.subarray(lf + 1);
      offset += lf + 1;
      owned.first = offset;
      if (offset >= end) return;
    }
    if (offset + chunk.length >= end) {
      const lf = chunk.indexOf(LF, Math.max(0, end - 1 - offset));
      if (lf >= 0) {
        yield chunk.subarray(0, lf + 1);
        return;
      }
    }
    if (chunk.length > 0) yield chunk;
    offset += chunk.length;
  }
}

/** The LFs in an object's bytes before `offset`: the lines before a part that starts there. */
const linesBefore = async (object: SourceObject, offset: number): Promise<number> => {
  const range = await object.openAt!(0, offset);
  if (!('chunks' in range)) return 0;
  let lines = 0;
  let at = 0;
  for await (const chunk of range.chunks) {
    const within = Math.min(chunk.length, offset - at);
    for (let i = chunk.indexOf(LF); i >= 0 && i < within; i = chunk.indexOf(LF, i + 1)) lines++;
    at += chunk.length;
    if (at >= offset) break;
  }
  return lines;
};

/**
 * A line-oriented reader of one object, or of a part of one (`SourceObject.part`: a ranged read,
 * `ownedBytes`): yields each decoded piece of text, so the caller can hand on what it gathered.
 * A part of an object that turns out gzip-encoded cannot be read from the middle: its first part
 * reads it whole, the others nothing. An object is counted in `stats.objects` by its first part.
 */
async function* decodedPieces(
  object: SourceObject,
  stats: ReadStats,
  owned: { first: number } = { first: 0 },
): AsyncGenerator<string> {
  const part = object.part;
  // Whether this read begins the object (a whole object, or its first part).
  const begins = !part || part.start === 0;
  const range = part ? await object.openAt!(begins ? 0 : part.start - 1, part.end) : undefined;
  let stream: Readable | undefined;
  let source: AsyncIterable<Buffer> & { destroy?: () => void };
  if (part && range && 'chunks' in range) source = ownedBytes(range.chunks, part.start, part.end, owned);
  else {
    // A whole object, or one found gzip-encoded: read whole by its first part, by no other.
    if (!begins) return;
    const opened = await object.open();
    stream = 'stream' in opened ? opened.stream : undefined;
    source =
      'path' in opened
        ? fileChunks(opened.path)
        : opened.gzip
          ? pipeline(opened.stream, createGunzip(), () => undefined)
          : opened.stream;
  }
  if (begins) stats.objects++;
  // StringDecoder keeps a character split across chunks for the next one; it decodes about twice
  // as fast as TextDecoder in stream mode on Node 20 (measured: 1 GB/s against 0.4-0.6 GB/s).
  const decoder = new StringDecoder('utf8');
  // A byte order mark can only begin the object.
  let first = begins;
  try {
    for await (const chunk of source) {
      stats.bytes += chunk.length;
      let text = decoder.write(chunk);
      if (first && text.length > 0) {
        first = false;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      }
      yield text;
    }
    const rest = decoder.end();
    if (rest !== '') yield rest;
  } finally {
    stream?.destroy();
    if (source !== stream) source.destroy?.();
  }
}

/** A line or record error, named by object and line. */
const located = (error: unknown, object: string, line: number): unknown => {
  if (error instanceof CaptureFormatError) return new DatasetFormatError(object, line, error.message, error);
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && code.startsWith('Z_'))
    return new DatasetFormatError(
      object,
      line,
      `the gzip stream is not valid: ${(error as Error).message}`,
      error,
    );
  return error;
};

/**
 * The non-blank lines of every listed object, each turned by `handle` into zero or more items,
 * handed on in batches (one decoded piece's items a batch).
 */
async function* lineBatchesOf<T>(
  objects: AsyncIterable<SourceObject>,
  options: ListOptions,
  stats: ReadStats,
  handle: (line: string, out: T[]) => void,
): AsyncGenerator<T[]> {
  const max = options.maxLineLength ?? MAX_LINE_LENGTH;
  for await (const object of objects) {
    const splitter = new LineSplitter(max);
    let batch: T[] = [];
    const onLine = (line: string) => {
      if (isBlank(line)) return;
      stats.lines++;
      try {
        handle(line, batch);
      } catch (error) {
        throw located(error, object.name, splitter.line);
      }
    };
    const owned = { first: 0 };
    try {
      for await (const text of decodedPieces(object, stats, owned)) {
        splitter.feed(text, onLine);
        if (batch.length > 0) {
          const full = batch;
          batch = [];
          yield full;
        }
      }
      splitter.end(onLine);
    } catch (error) {
      const found =
        error instanceof LineTooLongError
          ? new DatasetFormatError(object.name, error.line, error.message)
          : located(error, object.name, splitter.line + 1);
      // A part counts lines from its first: the error names the line of the object.
      if (found instanceof DatasetFormatError && object.part && owned.first > 0)
        throw new DatasetFormatError(
          found.object,
          found.line + (await linesBefore(object, owned.first)),
          found.reason,
          found.cause,
        );
      throw found;
    }
    if (batch.length > 0) yield batch;
  }
}

const locate = (uri: string, options: ListOptions): DatasetLocation =>
  parseDatasetUri(uri, config().mode, options.uriPath ?? 'uri');

const objectsAt = (location: DatasetLocation, options: ListOptions, stats: ReadStats) =>
  location.scheme === 's3' ? s3Objects(location, options, stats) : fileObjects(location, options);

/** One object of a listing, as `listObjects` gives it and `ReadOptions.objects` takes it back. */
export interface ListedObject {
  /** `s3://bucket/key` or `file:///path` */
  uri: string;
  /** bytes as stored */
  size: number;
  /**
   * A part of the object (JSON Lines and capture only; `splitIntoParts`): the lines that begin at
   * a byte in [start, end), read with a ranged read. The parts of an object, read in order, read
   * its lines exactly as the whole object does.
   */
  start?: number;
  end?: number;
}

/** The bytes of a listed object, or of the part of one it names. */
export const listedBytes = (object: ListedObject): number =>
  object.start !== undefined && object.end !== undefined ? object.end - object.start : object.size;

/**
 * The objects with every one larger than `partBytes` cut into parts of about equal bytes, at most
 * `partBytes` each (`ListedObject.start`/`end`), so that threads can share a large object. Objects
 * named `.gz` stay whole (a gzip stream cannot be read from the middle); an object found
 * gzip-encoded only when read is read whole by its first part. For line formats only (a CSV
 * record may hold a line break, and its header is the first line).
 */
export const splitIntoParts = (objects: readonly ListedObject[], partBytes: number): ListedObject[] => {
  const parts: ListedObject[] = [];
  for (const object of objects) {
    const count = Math.ceil(object.size / partBytes);
    if (count <= 1 || isGzipName(object.uri) || object.start !== undefined) {
      parts.push(object);
      continue;
    }
    for (let i = 0; i < count; i++)
      parts.push({
        ...object,
        start: Math.round((object.size * i) / count),
        end: Math.round((object.size * (i + 1)) / count),
      });
  }
  return parts;
};

/**
 * The objects a read of `uri` would open, in read order, with their sizes: the listing of
 * `readRecords` (hour folders of the window for SageMaker capture) without reading any. A drift
 * run splits them between workers or Distributed Map children and hands each its share back
 * through `ReadOptions.objects`.
 */
export const listObjects = async (
  uri: string,
  options: ListOptions & { format: DatasetFormat },
): Promise<{ objects: ListedObject[]; stats: ReadStats }> => {
  const location = locate(uri, options);
  windowOf(options);
  const stats = emptyStats();
  const objects: ListedObject[] = [];
  for await (const object of objectsAt(
    location,
    { ...options, hourFolders: options.format === 'sagemaker-capture' },
    stats,
  )) {
    if (object.name.startsWith('file://')) {
      const path = object.name.slice('file://'.length);
      objects.push({ uri: pathToFileURL(path).href, size: (await stat(path)).size });
    } else objects.push({ uri: object.name, size: object.size ?? 0 });
  }
  return { objects, stats };
};

/** Objects named by a listing (`ListOptions.objects`): opened as they are, nothing listed. */
async function* listedObjects(
  objects: Iterable<ListedObject>,
  options: ListOptions,
): AsyncGenerator<SourceObject> {
  for (const listed of objects) {
    const location = parseDatasetUri(listed.uri, config().mode, options.uriPath ?? 'uri');
    const part =
      listed.start !== undefined && listed.end !== undefined
        ? { part: { start: listed.start, end: listed.end } }
        : {};
    if (location.scheme === 'file') {
      const path = location.path;
      yield {
        name: listed.uri,
        key: path,
        size: listed.size,
        ...part,
        open: () => openLocalFile(path),
        openAt: async (from, until) =>
          isGzipName(path) ? { gzip: true } : { chunks: fileChunks(path, from, until) },
      };
      continue;
    }
    const client = options.client ?? (await s3());
    const { GetObjectCommand } = await loadS3();
    const { bucket, key } = location;
    yield {
      name: listed.uri,
      key,
      size: listed.size,
      ...part,
      open: async () => {
        const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const stream = answer.Body as Readable | undefined;
        if (!stream) throw new Error(`${listed.uri} has no body`);
        return { stream, gzip: isGzipName(key) || /gzip/i.test(answer.ContentEncoding ?? '') };
      },
      openAt: (from, until) => s3Range(client, bucket, key, listed.size, from, until),
    };
  }
}

/**
 * Bytes a part's ranged GET asks for past its end: enough for its last line, mostly; a longer
 * last line is read on in ranges of this size.
 */
const PART_TAIL_BYTES = 64 * 1024;

/**
 * An S3 object's bytes from `from` on, by ranged GETs: the first to `until` and
 * `PART_TAIL_BYTES` more, the next ones `PART_TAIL_BYTES` each, as far as the caller reads. What
 * the caller leaves unread of a range is drained when it is at most `PART_TAIL_BYTES` (the
 * connection goes back to the pool), else the connection is dropped. A gzip-encoded object
 * (its key, or its Content-Encoding) is `{ gzip: true }`: it can only be read whole.
 */
const s3Range = async (
  client: S3Client,
  bucket: string,
  key: string,
  size: number,
  from: number,
  until: number,
): Promise<ByteRange> => {
  if (isGzipName(key)) return { gzip: true };
  const { GetObjectCommand } = await loadS3();
  const get = async (first: number, last: number): Promise<{ body: Readable; gzip: boolean }> => {
    const answer = await client.send(
      new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${first}-${last}` }),
    );
    const body = answer.Body as Readable | undefined;
    if (!body) throw new Error(`s3://${bucket}/${key} has no body`);
    return { body, gzip: /gzip/i.test(answer.ContentEncoding ?? '') };
  };
  let stop = Math.min(size, Math.max(from, until) + PART_TAIL_BYTES);
  if (from >= stop) return { chunks: (async function* () {})() };
  const first = await get(from, stop - 1);
  if (first.gzip) {
    first.body.destroy();
    return { gzip: true };
  }
  async function* chunks(): AsyncGenerator<Buffer> {
    let { body } = first;
    let at = from;
    for (;;) {
      const expected = stop - at;
      let read = 0;
      try {
        for await (const chunk of body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
          read += chunk.length;
          yield chunk;
        }
      } finally {
        if (read < expected) {
          if (expected - read <= PART_TAIL_BYTES) {
            // Drained: the connection goes back to the pool; an error while draining is no one's.
            body.on('error', () => undefined);
            body.resume();
          } else body.destroy();
        }
      }
      at = stop;
      if (at >= size) return;
      stop = Math.min(size, at + PART_TAIL_BYTES);
      ({ body } = await get(at, stop - 1));
    }
  }
  return { chunks: chunks() };
};

/** The non-blank lines of a dataset (e.g. SageMaker ground truth), in batches; see the file comment. */
export class LineReader implements AsyncIterable<string> {
  readonly stats: ReadStats = emptyStats();
  readonly location: DatasetLocation;

  constructor(
    uri: string,
    private readonly options: ListOptions = {},
  ) {
    this.location = locate(uri, options);
    windowOf(options);
  }

  batches(): AsyncGenerator<string[]> {
    return lineBatchesOf<string>(
      objectsAt(this.location, this.options, this.stats),
      this.options,
      this.stats,
      (line, out) => {
        out.push(line);
      },
    );
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<string> {
    for await (const batch of this.batches()) yield* batch;
  }
}

export const readLines = (uri: string, options: ListOptions = {}): LineReader => new LineReader(uri, options);

/**
 * The records of a dataset or capture: `for await (const record of readRecords(...))`, or
 * `batches()` for arrays of records (fewer promises: the faster loop). `stats` counts what was
 * read. The URI is checked at once (a ValidationError, 400); a line that cannot be read throws a
 * DatasetFormatError (422) naming the object and the line.
 */
export class RecordReader implements AsyncIterable<CaptureRecord> {
  readonly stats: ReadStats = emptyStats();
  readonly location: DatasetLocation;

  constructor(
    uri: string,
    private readonly options: ReadOptions,
  ) {
    this.location = locate(uri, options);
    windowOf(options);
  }

  async *batches(): AsyncGenerator<CaptureRecord[]> {
    const options = this.options;
    const stats = this.stats;
    const { from, to } = windowOf(options);
    const capture = options.format === 'sagemaker-capture';
    const windowed = (from !== undefined || to !== undefined) && (capture || options.time !== undefined);
    const lo = from ?? Number.NEGATIVE_INFINITY;
    const hi = to ?? Number.POSITIVE_INFINITY;
    const objects = options.objects
      ? listedObjects(options.objects, options)
      : objectsAt(this.location, { ...options, hourFolders: capture }, stats);

    /** Keeps the records of `batch` that lie in the window. */
    const filter = (batch: CaptureRecord[]): void => {
      if (!windowed) return;
      let kept = 0;
      for (let i = 0; i < batch.length; i++) {
        const record = batch[i]!;
        const at = record.at === undefined ? Number.NaN : Date.parse(record.at);
        if (Number.isNaN(at)) stats.untimed++;
        else if (at < lo || at >= hi) stats.outsideWindow++;
        else batch[kept++] = record;
      }
      batch.length = kept;
    };

    if (options.format === 'csv') {
      for await (const object of objects) {
        const parser = new CsvParser(options.maxLineLength ?? MAX_LINE_LENGTH);
        const rows = new CsvRecords(options);
        let batch: CaptureRecord[] = [];
        const onRow = (cells: string[]) => {
          stats.lines++;
          const record = rows.row(cells);
          if (record !== undefined) batch.push(record);
        };
        try {
          for await (const text of decodedPieces(object, stats)) {
            parser.feed(text, onRow);
            filter(batch);
            if (batch.length > 0) {
              stats.records += batch.length;
              const full = batch;
              batch = [];
              yield full;
            }
          }
          parser.end(onRow);
        } catch (error) {
          throw located(error, object.name, parser.line);
        }
        filter(batch);
        if (batch.length > 0) {
          stats.records += batch.length;
          yield batch;
        }
      }
      return;
    }

    const features = options.features;
    const handle = capture
      ? (line: string, out: CaptureRecord[]) => {
          captureLineRecords(line, features, out);
        }
      : (line: string, out: CaptureRecord[]) => {
          out.push(jsonLineRecord(line, options));
        };
    for await (const batch of lineBatchesOf(objects, options, stats, handle)) {
      filter(batch);
      if (batch.length > 0) {
        stats.records += batch.length;
        yield batch;
      }
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<CaptureRecord> {
    for await (const batch of this.batches()) yield* batch;
  }
}

/** Reads the records of a dataset or capture: see `RecordReader` and the file comment. */
export const readRecords = (uri: string, options: ReadOptions): RecordReader =>
  new RecordReader(uri, options);
