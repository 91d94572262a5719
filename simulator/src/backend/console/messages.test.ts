import { describe, expect, it } from 'vitest';
import { decodeUserMessage } from './messages.js';

describe('console user frames', () => {
  it('decodes input, resize and restart', () => {
    expect(decodeUserMessage('{"type":"input","data":"ls\\n"}')).toEqual({ type: 'input', data: 'ls\n' });
    expect(decodeUserMessage('{"type":"resize","width":80,"height":24}')).toEqual({ type: 'resize', width: 80, height: 24 });
    expect(decodeUserMessage('{"type":"restart"}')).toEqual({ type: 'restart' });
  });

  it('refuses a frame nested deeper than 64 levels before parsing it', () => {
    const deep = `{"type":"input","data":"x","extra":${'['.repeat(500_000)}${']'.repeat(500_000)}}`;
    expect(decodeUserMessage(deep)).toBe('frame: nested deeper than 64 levels (at character 98); send {"type":"input"|"resize"|"restart", …}');
    // brackets in the typed text are text
    expect(decodeUserMessage(`{"type":"input","data":"${'['.repeat(100)}"}`)).toEqual({ type: 'input', data: '['.repeat(100) });
  });
});
