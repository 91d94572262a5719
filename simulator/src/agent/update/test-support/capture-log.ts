import type { AgentLogger } from '../../types.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';
export interface LogLine {
  level: Level;
  message: string;
}

/** An AgentLogger that keeps every line; `onLine` may react (e.g. simulate a kill at a given line). */
export function captureLog(onLine?: (line: LogLine) => void): AgentLogger & { lines: LogLine[]; messages(level?: Level): string[] } {
  const lines: LogLine[] = [];
  const push = (level: Level) => (message: string): void => {
    const line = { level, message };
    lines.push(line);
    onLine?.(line);
  };
  return {
    lines,
    debug: push('debug'),
    info: push('info'),
    warn: push('warn'),
    error: push('error'),
    messages: (level) => lines.filter((l) => level === undefined || l.level === level).map((l) => l.message),
  };
}

/** Asserts helper: the index of each expected line, in order, or a description of the first one missing. */
export function findInOrder(messages: readonly string[], expected: readonly (string | RegExp)[]): string | undefined {
  let at = 0;
  for (const want of expected) {
    const found = messages.findIndex((m, i) => i >= at && (typeof want === 'string' ? m === want : want.test(m)));
    if (found === -1) return `missing (in order) after line ${at}: ${String(want)}`;
    at = found + 1;
  }
  return undefined;
}
