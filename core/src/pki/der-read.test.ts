import { describe, expect, it } from 'vitest';
import { children, readRoot } from './der-read.js';

const der = (h: string): Buffer => Buffer.from(h, 'hex');

describe('DER reader', () => {
  it('walks nested elements and their offsets', () => {
    const buf = der('3006020101040100');
    const root = readRoot(buf, 'x');
    expect(children(buf, root, 'x').map((n) => [n.tag, n.start, n.end])).toEqual([
      [0x02, 2, 5],
      [0x04, 5, 8],
    ]);
  });

  it('names the source and byte offset of malformed input', () => {
    expect(() => readRoot(der('3005020101'), 'cert.pem')).toThrow(
      'cert.pem: bad DER at byte 0: length 5 runs past the end of its container (byte 5)',
    );
    expect(() => readRoot(der('30030201010000'), 'cert.pem')).toThrow('cert.pem: bad DER at byte 5: 2 trailing byte(s)');
    expect(() => readRoot(der('3080020101'), 'csr.pem')).toThrow('csr.pem: bad DER at byte 0: indefinite length');
    const buf = der('3003020501');
    expect(() => children(buf, readRoot(buf, 'k'), 'k')).toThrow('k: bad DER at byte 2: length 5 runs past');
  });
});
