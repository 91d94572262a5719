// A dry run of a task over an ImageTarget: reads see the task's own earlier writes, writes are
// only recorded. Nothing reaches the target until the whole task has run without error.
import { fwupError } from './fwup-error.js';
import type { ImageTarget } from './image-target.js';
import type { ResourceBytes } from './zip-source.js';

/** fwup's block cache segment: trims act on whole segments, rounded inwards. */
export const TRIM_SEGMENT = 128 * 1024;
export const BLOCK_SIZE = 512;

/** skip: as fwup on a regular file (nothing written; later reads in the task see zeros); zero: write zeros. */
export type TrimMode = 'skip' | 'zero';

export type PlannedStep = { kind: 'write'; offset: number; data: ResourceBytes; what: string } | { kind: 'execute'; command: string; what: string };

interface Range {
  start: number;
  end: number;
}

export class PlannedImage {
  steps: PlannedStep[] = [];
  private trimmed: Range[] = [];

  constructor(
    private readonly target: ImageTarget,
    private readonly trimMode: TrimMode = 'skip',
  ) {}

  get size(): number {
    return this.target.size;
  }

  /** Whether bytes offset..offset+length lie inside the image. */
  contains(offset: number, length: number): boolean {
    return Number.isSafeInteger(offset) && offset >= 0 && length >= 0 && offset + length <= this.target.size;
  }

  /** Throws "image too small" unless bytes offset..offset+length lie inside the image. */
  requireRange(offset: number, length: number, what: string, action: string): void {
    if (!this.contains(offset, length)) {
      throw fwupError(
        'image',
        what,
        `image too small: needs to ${action} bytes ${offset}..${offset + length} (blocks ${Math.floor(offset / BLOCK_SIZE)}..${Math.ceil((offset + length) / BLOCK_SIZE) - 1}) but the image is ${this.target.size} bytes`,
      );
    }
  }

  read(offset: number, length: number, what: string): Buffer {
    this.requireRange(offset, length, what, 'read');
    const out = this.target.read(offset, length);
    const end = offset + length;
    for (const step of this.steps) {
      if (step.kind !== 'write') continue;
      const from = Math.max(offset, step.offset);
      const to = Math.min(end, step.offset + step.data.length);
      if (from < to) step.data.copy(out, from - offset, from - step.offset, to - step.offset);
    }
    for (const t of this.trimmed) {
      const from = Math.max(offset, t.start);
      const to = Math.min(end, t.end);
      if (from < to) out.fill(0, from - offset, to - offset);
    }
    return out;
  }

  write(offset: number, data: ResourceBytes, what: string): void {
    this.requireRange(offset, data.length, what, 'write');
    if (data.length === 0) return;
    this.materializeTrims(offset, offset + data.length, what);
    this.record(offset, data, what);
  }

  /** Runs `command` at this point of the commit (the caller has checked that execution is allowed). */
  execute(command: string, what: string): void {
    this.steps.push({ kind: 'execute', command, what });
  }

  trim(offset: number, length: number, what: string): void {
    const start = Math.ceil(offset / TRIM_SEGMENT) * TRIM_SEGMENT;
    const end = Math.min(Math.floor((offset + length) / TRIM_SEGMENT) * TRIM_SEGMENT, this.target.size);
    if (end <= start) return;
    if (this.trimMode === 'zero') {
      this.write(start, Buffer.alloc(end - start), what);
      return;
    }
    // fwup drops cached writes in the trimmed segments and reads them back as zeros.
    this.steps = this.steps.flatMap((s) => (s.kind === 'write' ? clipOut(s, start, end) : [s]));
    this.trimmed = mergeRanges([...this.trimmed, { start, end }]);
  }

  /** Writes into a trimmed segment fill the rest of that segment with zeros, as fwup's block cache does. */
  private materializeTrims(start: number, end: number, what: string): void {
    const segStart = Math.floor(start / TRIM_SEGMENT) * TRIM_SEGMENT;
    const segEnd = Math.min(Math.ceil(end / TRIM_SEGMENT) * TRIM_SEGMENT, this.target.size);
    const kept: Range[] = [];
    for (const t of this.trimmed) {
      const from = Math.max(t.start, segStart);
      const to = Math.min(t.end, segEnd);
      if (from >= to) {
        kept.push(t);
        continue;
      }
      this.record(from, Buffer.alloc(to - from), `${what} (zeroing trimmed segment)`);
      if (t.start < from) kept.push({ start: t.start, end: from });
      if (to < t.end) kept.push({ start: to, end: t.end });
    }
    this.trimmed = kept;
  }

  private record(offset: number, data: ResourceBytes, what: string): void {
    // What this write covers of earlier ones is superseded, unless a command runs in between: the
    // writes since the last command never overlap, so they hold at most the image's size.
    const lastExecute = this.steps.findLastIndex((s) => s.kind === 'execute');
    this.steps = this.steps.flatMap((s, i) => (i <= lastExecute || s.kind !== 'write' ? [s] : clipOut(s, offset, offset + data.length)));
    this.steps.push({ kind: 'write', offset, data, what });
  }
}

function clipOut(step: Extract<PlannedStep, { kind: 'write' }>, start: number, end: number): PlannedStep[] {
  const stepEnd = step.offset + step.data.length;
  if (stepEnd <= start || step.offset >= end) return [step];
  const parts: PlannedStep[] = [];
  if (step.offset < start) parts.push({ ...step, data: keep(step.data, 0, start - step.offset) });
  if (stepEnd > end) parts.push({ ...step, offset: end, data: keep(step.data, end - step.offset, step.data.length) });
  return parts;
}

/** A piece of a write's bytes; a small piece of a big buffer is copied, so the rest can be freed. */
function keep(data: ResourceBytes, from: number, to: number): ResourceBytes {
  const piece = data.subarray(from, to);
  return Buffer.isBuffer(piece) && piece.length * 2 < piece.buffer.byteLength ? Buffer.from(piece) : piece;
}

function mergeRanges(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out.at(-1);
    if (last !== undefined && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}
