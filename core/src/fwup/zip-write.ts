import { deflateRawSync } from 'node:zlib';
import { crc32 } from '../uboot-env/crc32.js';
import { fwupError } from './fwup-error.js';
import {
  CENTRAL_HEADER_SIZE,
  CENTRAL_SIGNATURE,
  END_RECORD_SIZE,
  END_SIGNATURE,
  EXTERNAL_ATTRIBUTES,
  EXTRA_TIMESTAMP,
  FLAG_UTF8,
  LOCAL_HEADER_SIZE,
  LOCAL_SIGNATURE,
  METHOD_DEFLATE,
  METHOD_STORE,
  toDosDateTime,
  VERSION_MADE_BY,
  VERSION_NEEDED,
} from './zip-layout.js';

export interface ZipFile {
  name: string;
  data: Uint8Array;
  /** 'deflate' falls back to stored when compression would not shrink the data. */
  compression: 'store' | 'deflate';
  mtime: Date;
}

const LIMIT = 0xffffffff;

interface Prepared {
  name: Buffer;
  flags: number;
  method: number;
  crc: number;
  size: number;
  body: Uint8Array;
  extra: Buffer;
  dos: { date: number; time: number };
  offset: number;
}

function timestampExtra(mtime: Date): Buffer {
  const extra = Buffer.alloc(9);
  extra.writeUInt16LE(EXTRA_TIMESTAMP, 0);
  extra.writeUInt16LE(5, 2);
  extra[4] = 1;
  extra.writeInt32LE(Math.max(-0x80000000, Math.min(0x7fffffff, Math.floor(mtime.getTime() / 1000))), 5);
  return extra;
}

function prepare(file: ZipFile, offset: number): Prepared {
  const name = Buffer.from(file.name, 'utf8');
  if (name.length === 0 || name.length > 0xffff) throw fwupError('usage', 'ZIP writer', `entry name ${JSON.stringify(file.name)} must be 1..65535 bytes`);
  if (file.data.length > LIMIT) throw fwupError('usage', 'ZIP writer', `entry ${JSON.stringify(file.name)} is ${file.data.length} bytes; ZIP64 is not written`);
  let method = METHOD_STORE;
  let body = file.data;
  if (file.compression === 'deflate') {
    const deflated = deflateRawSync(file.data);
    if (deflated.length < file.data.length) {
      method = METHOD_DEFLATE;
      body = deflated;
    }
  }
  const ascii = /^[\x20-\x7e]*$/.test(file.name);
  return {
    name,
    flags: ascii ? 0 : FLAG_UTF8,
    method,
    crc: crc32(file.data),
    size: file.data.length,
    body,
    extra: timestampExtra(file.mtime),
    dos: toDosDateTime(file.mtime),
    offset,
  };
}

/** Fields shared by the local header (from byte 4) and the central record (from byte 6). */
function writeCommon(out: Buffer, at: number, p: Prepared): void {
  out.writeUInt16LE(VERSION_NEEDED, at);
  out.writeUInt16LE(p.flags, at + 2);
  out.writeUInt16LE(p.method, at + 4);
  out.writeUInt16LE(p.dos.time, at + 6);
  out.writeUInt16LE(p.dos.date, at + 8);
  out.writeUInt32LE(p.crc, at + 10);
  out.writeUInt32LE(p.body.length, at + 14);
  out.writeUInt32LE(p.size, at + 18);
  out.writeUInt16LE(p.name.length, at + 22);
  out.writeUInt16LE(p.extra.length, at + 24);
}

function localHeader(p: Prepared): Buffer {
  const out = Buffer.alloc(LOCAL_HEADER_SIZE);
  out.writeUInt32LE(LOCAL_SIGNATURE, 0);
  writeCommon(out, 4, p);
  return Buffer.concat([out, p.name, p.extra]);
}

function centralRecord(p: Prepared): Buffer {
  const out = Buffer.alloc(CENTRAL_HEADER_SIZE);
  out.writeUInt32LE(CENTRAL_SIGNATURE, 0);
  out.writeUInt16LE(VERSION_MADE_BY, 4);
  writeCommon(out, 6, p);
  out.writeUInt32LE(EXTERNAL_ATTRIBUTES, 38);
  out.writeUInt32LE(p.offset, 42);
  return Buffer.concat([out, p.name, p.extra]);
}

/** A ZIP archive of `files` in the given order, sizes and CRC in the local headers (no data descriptors). */
export function encodeZip(files: readonly ZipFile[]): Buffer {
  const parts: Uint8Array[] = [];
  const prepared: Prepared[] = [];
  let offset = 0;
  for (const file of files) {
    const p = prepare(file, offset);
    const header = localHeader(p);
    parts.push(header, p.body);
    prepared.push(p);
    offset += header.length + p.body.length;
  }
  if (offset > LIMIT || files.length > 0xffff) throw fwupError('usage', 'ZIP writer', `archive of ${offset} bytes / ${files.length} entries needs ZIP64, which is not written`);
  const central = Buffer.concat(prepared.map(centralRecord));
  const end = Buffer.alloc(END_RECORD_SIZE);
  end.writeUInt32LE(END_SIGNATURE, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(central.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, central, end]);
}
