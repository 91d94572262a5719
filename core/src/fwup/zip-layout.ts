/** ZIP record layout (APPNOTE 6.3): signatures, fixed sizes and MS-DOS timestamps. */

export const LOCAL_SIGNATURE = 0x04034b50;
export const CENTRAL_SIGNATURE = 0x02014b50;
export const END_SIGNATURE = 0x06054b50;
export const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;

export const LOCAL_HEADER_SIZE = 30;
export const CENTRAL_HEADER_SIZE = 46;
export const END_RECORD_SIZE = 22;

export const METHOD_STORE = 0;
export const METHOD_DEFLATE = 8;

export const FLAG_ENCRYPTED = 0x0001;
export const FLAG_UTF8 = 0x0800;

/** Extended-timestamp extra field ("UT"): flags byte, then the Unix mtime when bit 0 is set. */
export const EXTRA_TIMESTAMP = 0x5455;

/** Version 2.0: deflate, no ZIP64. */
export const VERSION_NEEDED = 20;
/** "Made by" Unix (3) with version 2.0, so external attributes carry a mode. */
export const VERSION_MADE_BY = (3 << 8) | 20;
/** Regular file, mode 0644, in the high 16 bits. */
export const EXTERNAL_ATTRIBUTES = (0o100644 << 16) >>> 0;

const DOS_EPOCH_YEAR = 1980;

/** MS-DOS date and time fields of `date` in UTC, clamped to the format's 1980..2107 range. */
export function toDosDateTime(date: Date): { date: number; time: number } {
  const year = date.getUTCFullYear();
  if (year < DOS_EPOCH_YEAR) return { date: (1 << 5) | 1, time: 0 };
  if (year > DOS_EPOCH_YEAR + 127) return { date: (127 << 9) | (12 << 5) | 31, time: (23 << 11) | (59 << 5) | 29 };
  return {
    date: ((year - DOS_EPOCH_YEAR) << 9) | ((date.getUTCMonth() + 1) << 5) | date.getUTCDate(),
    time: (date.getUTCHours() << 11) | (date.getUTCMinutes() << 5) | Math.floor(date.getUTCSeconds() / 2),
  };
}

/** The instant MS-DOS date and time fields name, read as UTC. */
export function fromDosDateTime(date: number, time: number): Date {
  return new Date(
    Date.UTC(DOS_EPOCH_YEAR + (date >>> 9), ((date >>> 5) & 0x0f) - 1, date & 0x1f, time >>> 11, (time >>> 5) & 0x3f, (time & 0x1f) * 2),
  );
}
