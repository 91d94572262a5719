import { hasBinRecord } from '@vfleet/core';
import type { UpdateBinary } from '../model.js';

export interface SelectionInput {
  binaries: readonly UpdateBinary[];
  /** peridio.json `targets`; [] means every target. */
  targets: readonly string[];
  /** The `peridio_bin_current` value. */
  binCurrent: string;
  /** Raw 32-byte trusted Ed25519 keys. */
  trustedKeys: readonly Buffer[];
  threshold: number;
}

export type Selection =
  | { trusted: true; installed: UpdateBinary[]; toInstall: UpdateBinary[]; notes: string[] }
  | { trusted: false; notes: string[] };

// Elixir's inspect/1 of a list of strings, as peridiod prints it.
const inspectList = (items: readonly string[]): string => `[${items.map((t) => JSON.stringify(t)).join(', ')}]`;

const forTarget = (targets: readonly string[]) => (b: UpdateBinary): boolean =>
  targets.length === 0 || b.target === null || b.target === '' || targets.includes(b.target);

function trustedCount(binary: UpdateBinary, trustedKeys: readonly Buffer[]): number {
  return binary.signatures.filter((s) => trustedKeys.some((k) => k.equals(s.publicKey))).length;
}

/**
 * Bundle Server logic (protocol §5.1 steps 3–5): target filter, already-installed split by bin
 * record (UUID + custom_metadata hash) and the trust threshold. `notes` are the info lines it logs.
 */
export function selectBinaries(input: SelectionInput): Selection {
  const relevant = input.binaries.filter(forTarget(input.targets));
  const installed = relevant.filter((b) => hasBinRecord(input.binCurrent, b.uuid, b.customMetadataHash));
  const toInstall = relevant.filter((b) => !installed.includes(b));
  const notes: string[] = [];
  if (relevant.length === 0) {
    notes.push(`[Bundle Server] No binaries to install because there are no binaries for supported targets ${inspectList(input.targets)}`);
  } else if (toInstall.length === 0) {
    notes.push('[Bundle Server] No binaries to install because binaries already reported installed');
  }
  if (toInstall.some((b) => trustedCount(b, input.trustedKeys) < input.threshold)) return { trusted: false, notes };
  return { trusted: true, installed, toInstall, notes };
}
