import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { UploadError } from './errors.ts';

/**
 * What a version's artifact is read from: any byte range of it, as many times as needed (once to
 * hash, once per upload attempt), without holding it in memory.
 */
export interface Source {
  fileName: string;
  sizeBytes: number;
  read(offset: number, length: number): Readable;
}

export const fileSource = async (path: string): Promise<Source> => {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) throw new UploadError(`${path} is not a file`);
  return {
    fileName: basename(path),
    sizeBytes: info.size,
    read: (offset, length) =>
      length === 0 ? Readable.from([]) : createReadStream(path, { start: offset, end: offset + length - 1 }),
  };
};

const BLOCK = 512;
const pad = (n: number) => (BLOCK - (n % BLOCK)) % BLOCK;

interface Segment {
  start: number;
  size: number;
  /** A header or padding held in memory, or a file read from disk. */
  bytes?: Buffer;
  path?: string;
}

/**
 * A folder as one POSIX ustar archive, built on the fly and the same every time for the same
 * files: entries in sorted path order, mode 0644, owner 0, mtime 0. So the archive's SHA-256
 * identifies the folder's content, and the archive needs no temp file.
 */
export const dirSource = async (dir: string): Promise<Source> => {
  const root = resolve(dir);
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) throw new UploadError(`${dir} is not a folder`);
  const files = (await walk(root)).sort();
  const segments: Segment[] = [];
  let at = 0;
  const push = (segment: Omit<Segment, 'start'>) => {
    segments.push({ start: at, ...segment });
    at += segment.size;
  };
  for (const file of files) {
    const { size } = await stat(file);
    const name = relative(root, file).split(sep).join('/');
    push({ size: BLOCK, bytes: tarHeader(name, size) });
    if (size > 0) push({ size, path: file });
    if (pad(size)) push({ size: pad(size), bytes: Buffer.alloc(pad(size)) });
  }
  push({ size: 2 * BLOCK, bytes: Buffer.alloc(2 * BLOCK) });
  return {
    fileName: `${basename(root)}.tar`,
    sizeBytes: at,
    read: (offset, length) => Readable.from(readRange(segments, offset, offset + length)),
  };
};

async function* readRange(segments: Segment[], from: number, to: number): AsyncGenerator<Buffer> {
  for (const s of segments) {
    const start = Math.max(from, s.start);
    const end = Math.min(to, s.start + s.size);
    if (start >= end) continue;
    if (s.bytes) yield s.bytes.subarray(start - s.start, end - s.start);
    else if (s.path)
      for await (const chunk of createReadStream(s.path, { start: start - s.start, end: end - s.start - 1 }))
        yield chunk as Buffer;
  }
}

/** A folder's regular files, as multi-file artifact paths (relative, `/`-separated, sorted). */
export const folderFiles = async (
  dir: string,
): Promise<{ root: string; files: { path: string; file: string; sizeBytes: number }[] }> => {
  const root = resolve(dir);
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) throw new UploadError(`${dir} is not a folder`);
  const files = [];
  for (const file of (await walk(root)).sort()) {
    const path = relative(root, file).split(sep).join('/');
    files.push({ path, file, sizeBytes: (await stat(file)).size });
  }
  if (!files.length) throw new UploadError(`${dir} holds no files`);
  return { root, files: files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)) };
};

const walk = async (dir: string): Promise<string[]> => {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else if (entry.isFile()) out.push(path);
    // Symbolic links and special files are left out: the archive holds regular files only.
  }
  return out;
};

const octal = (value: number, width: number) => `${value.toString(8).padStart(width - 1, '0')}\0`;

export const tarHeader = (path: string, size: number): Buffer => {
  if (size > 0o77777777777) throw new UploadError(`${path} is over 8 GiB, more than a tar entry holds`);
  let name = path;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = path.lastIndexOf('/', 155);
    if (cut <= 0 || Buffer.byteLength(path.slice(cut + 1)) > 100)
      throw new UploadError(`${path}: the path is too long for a tar archive`);
    prefix = path.slice(0, cut);
    name = path.slice(cut + 1);
  }
  const header = Buffer.alloc(BLOCK);
  const put = (text: string, offset: number) => header.write(text, offset, 'utf8');
  put(name, 0);
  put(octal(0o644, 8), 100);
  put(octal(0, 8), 108);
  put(octal(0, 8), 116);
  put(octal(size, 12), 124);
  put(octal(0, 12), 136);
  put('        ', 148);
  put('0', 156);
  put('ustar\0', 257);
  put('00', 263);
  put(prefix, 345);
  let sum = 0;
  for (const byte of header) sum += byte;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return header;
};
