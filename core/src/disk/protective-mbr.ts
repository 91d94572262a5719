import { diskInvalid } from './disk-error.js';
import { SECTOR_SIZE } from './gpt-types.js';

const TABLE_OFFSET = 446;
const RECORD_SIZE = 16;
const GPT_PROTECTIVE = 0xee;

/**
 * Writes LBA 0 into the zeroed `mbr`: one 0xEE partition covering the disk from LBA 1, its size
 * clamped to 32 bits.
 */
export function writeProtectiveMbr(mbr: Buffer, totalSectors: number): void {
  const record = TABLE_OFFSET;
  mbr.set([0x00, 0x00, 0x02, 0x00, GPT_PROTECTIVE, 0xff, 0xff, 0xff], record);
  mbr.writeUInt32LE(1, record + 8);
  mbr.writeUInt32LE(Math.min(totalSectors - 1, 0xffffffff), record + 12);
  mbr[510] = 0x55;
  mbr[511] = 0xaa;
}

/** Throws unless `mbr` (LBA 0) has the boot signature and a 0xEE partition record. */
export function checkProtectiveMbr(mbr: Buffer, source: string): void {
  if (mbr.length < SECTOR_SIZE) {
    throw diskInvalid(source, `MBR at byte 0: only ${mbr.length} bytes, need ${SECTOR_SIZE}`);
  }
  if (mbr[510] !== 0x55 || mbr[511] !== 0xaa) {
    const found = mbr.readUInt16BE(510).toString(16).padStart(4, '0');
    throw diskInvalid(source, `MBR at byte 510: bad signature 0x${found}, expected 0x55aa; not a GPT disk`);
  }
  const types: number[] = [];
  for (let i = 0; i < 4; i++) types.push(mbr[TABLE_OFFSET + i * RECORD_SIZE + 4] ?? 0);
  if (!types.includes(GPT_PROTECTIVE)) {
    const listed = types.map((t) => `0x${t.toString(16).padStart(2, '0')}`).join(', ');
    throw diskInvalid(
      source,
      `MBR at byte ${TABLE_OFFSET}: no protective partition (type 0xee) among record types ${listed}; not a GPT disk`,
    );
  }
}
