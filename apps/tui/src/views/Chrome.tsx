import { Text } from 'ink';
import { cell } from '../format.js';
import { GlyphText, standIn } from './Glyphs.js';

export const VIEWS = ['fleet', 'summary', 'releases', 'events'] as const;
export type TopView = (typeof VIEWS)[number];
const SHORT = ['fleet', 'sum', 'rel', 'events'] as const;

export interface HeaderProps {
  title: string;
  runtime: string;
  total: number;
  online: number;
  view: TopView | 'device';
  refreshMs: number;
  width: number;
}

/** One line: what runs, how much of it is online, and the view tabs. */
export function Header(p: HeaderProps) {
  const left = `${p.title} · ${p.runtime} · ${p.total} devices · ${p.online} online`;
  const tabs = (names: readonly string[]) => names.map((v, i) => (VIEWS[i] === p.view ? `[${i + 1} ${v}]` : `${i + 1} ${v}`)).join(' ');
  // full tab names when they fit, short ones on narrow terminals, none below that
  const right = [`${tabs(VIEWS)}  ? help`, `${tabs(SHORT)} ?`].find((r) => p.width - left.length - r.length >= 1);
  if (right === undefined) {
    const line = cell(`${left} · ? help`, p.width);
    return (
      <GlyphText lines={[line]}>
        <Text bold>{standIn(line)}</Text>
      </GlyphText>
    );
  }
  const gap = ' '.repeat(p.width - left.length - right.length);
  return (
    <GlyphText lines={[left + gap + right]}>
      <Text>
        <Text bold>{standIn(left)}</Text>
        {gap}
        <Text color="cyan">{standIn(right)}</Text>
      </Text>
    </GlyphText>
  );
}

export interface NarrationProps {
  step: number;
  steps: number;
  title: string;
  text: string;
  note: string;
  auto: boolean;
  width: number;
}

/** Two lines of demo narration: where the story is, and what is happening. */
export function Narration(p: NarrationProps) {
  const where = p.step < 0 ? `DEMO · ${p.auto ? 'starts by itself' : 'n: start'} — next: ${p.title}` : `DEMO ${p.step + 1}/${p.steps} · ${p.title}${p.note ? ` · ${p.note}` : ''}${p.step + 1 < p.steps ? (p.auto ? '' : ' · n: next') : ' · the end'}`;
  return (
    <>
      <Text color="magenta" bold>
        {cell(where, p.width)}
      </Text>
      <Text color="magenta">{cell(p.text, p.width)}</Text>
    </>
  );
}

export interface FooterProps {
  line: string;
  tone: 'info' | 'error' | 'ask';
  hints: string;
  width: number;
}

/** The status or prompt line, then the key hints of the current view. */
export function Footer(p: FooterProps) {
  const color = p.tone === 'error' ? 'red' : p.tone === 'ask' ? 'yellow' : 'white';
  const line = cell(p.line, p.width);
  const hints = cell(p.hints, p.width);
  return (
    <>
      <GlyphText lines={[line]}>
        <Text color={color}>{standIn(line)}</Text>
      </GlyphText>
      <GlyphText lines={[hints]}>
        <Text dimColor>{standIn(hints)}</Text>
      </GlyphText>
    </>
  );
}
