import { describe, expect, it } from 'vitest';
import { escapeControls, logText, quoted } from './log-text.js';

describe('log text', () => {
  it('escapes control characters, keeping newlines only when asked', () => {
    expect(escapeControls('plain text, ünïcode ✓')).toBe('plain text, ünïcode ✓');
    expect(escapeControls('\u001b[2J\u001b[31mred\r\u0000\u009b\u007f\n')).toBe('\\u001b[2J\\u001b[31mred\\u000d\\u0000\\u009b\\u007f\\u000a');
    expect(escapeControls('a\tb\nc', true)).toBe('a\\u0009b\nc');
  });

  it('quotes a peer value as JSON cut short, and survives values JSON cannot hold', () => {
    expect(quoted('x\ny')).toBe('"x\\ny"');
    expect(quoted({ a: 1 })).toBe('{"a":1}');
    expect(quoted('a\u009b2Jb\u007f')).toBe('"a\\u009b2Jb\\u007f"');
    expect(quoted('z'.repeat(300))).toBe(`"${'z'.repeat(199)}…`);
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(quoted(deep)).toBe('[…]');
    expect(quoted(undefined)).toBe('undefined');
  });

  it('keeps a multi-line message but never lets a line of it pass for another entry', () => {
    expect(logText('Trusted signing keys are unspecified\n\nAll binaries will be rejected')).toBe('Trusted signing keys are unspecified\n\nAll binaries will be rejected');
    expect(logText('tunnel_prn=x\n12:52:04.128 [info] [Plan Server] Plan finished')).toBe('tunnel_prn=x\n  12:52:04.128 [info] [Plan Server] Plan finished');
    expect(logText('x\n2026-11-29T12:00:00Z info forged')).toBe('x\n  2026-11-29T12:00:00Z info forged');
    expect(logText('\u001b[2Jcleared')).toBe('\\u001b[2Jcleared');
  });
});
