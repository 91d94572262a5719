// sw-description (libconfig syntax) of vfleet's A/B OS update: one selection per target slot.
import { VfleetError } from '@vfleet/core';

export type SwuSlot = 'a' | 'b';

export interface SwuSlotImage {
  /** Byte offset of the slot in the device disk. */
  offset: number;
  /** The env the install leaves, in write order (swupdate applies them together at the end). */
  bootenv: ReadonlyArray<readonly [string, string]>;
}

export interface SwuDescriptionInput {
  version: string;
  description: string;
  /** Accepted hardware revisions (the second word of the device's /etc/hwrevision). */
  hardwareCompatibility: readonly string[];
  /** The device path of the disk the raw images go to. */
  device: string;
  /** cpio entry name of the image. */
  filename: string;
  /** Lowercase hex SHA-256 of the image. */
  sha256: string;
  /** Software set name; the selection is `-e <set>,<slot>`. */
  softwareSet: string;
  slots: Readonly<Record<SwuSlot, SwuSlotImage>>;
}

// eslint-disable-next-line no-control-regex -- matching C0 controls is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A libconfig string literal; control characters are refused (they end up in the U-Boot env). */
export function libconfigString(value: string, what: string): string {
  if (CONTROL.test(value)) throw new VfleetError('VFLEET_USAGE', `sw-description ${what}: ${JSON.stringify(value)} contains a control character`);
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

const NAME = /^[A-Za-z*][-A-Za-z0-9_*]*$/;

function settingName(name: string, what: string): string {
  if (!NAME.test(name)) throw new VfleetError('VFLEET_USAGE', `sw-description ${what}: ${JSON.stringify(name)} is not a libconfig setting name`);
  return name;
}

/** The text of sw-description; equal input gives byte-equal output. */
export function encodeSwDescription(input: SwuDescriptionInput): string {
  if (input.hardwareCompatibility.length === 0) {
    throw new VfleetError('VFLEET_USAGE', 'sw-description hardware-compatibility: at least one revision is needed (Debian swupdate refuses a .swu without it)');
  }
  if (!/^[0-9a-f]{64}$/.test(input.sha256)) throw new VfleetError('VFLEET_USAGE', `sw-description sha256: ${JSON.stringify(input.sha256)} is not 64 lowercase hex digits`);
  const s = (v: string, what: string) => libconfigString(v, what);
  const slot = (name: SwuSlot, image: SwuSlotImage): string[] => [
    `\t\t${name} = {`,
    '\t\t\timages: (',
    '\t\t\t\t{',
    `\t\t\t\t\tfilename = ${s(input.filename, 'filename')};`,
    `\t\t\t\t\tdevice = ${s(input.device, 'device')};`,
    '\t\t\t\t\ttype = "raw";',
    `\t\t\t\t\toffset = "${image.offset}";`,
    `\t\t\t\t\tsha256 = "${input.sha256}";`,
    '\t\t\t\t}',
    '\t\t\t);',
    '\t\t\tbootenv: (',
    image.bootenv.map(([k, v]) => `\t\t\t\t{ name = ${s(k, 'bootenv name')}; value = ${s(v, `bootenv ${k}`)}; }`).join(',\n'),
    '\t\t\t);',
    '\t\t};',
  ];
  return [
    'software =',
    '{',
    `\tversion = ${s(input.version, 'version')};`,
    `\tdescription = ${s(input.description, 'description')};`,
    `\thardware-compatibility = [ ${input.hardwareCompatibility.map((r) => s(r, 'hardware-compatibility')).join(', ')} ];`,
    `\t${settingName(input.softwareSet, 'software set')} = {`,
    ...slot('a', input.slots.a),
    ...slot('b', input.slots.b),
    '\t};',
    '};',
    '',
  ].join('\n');
}
