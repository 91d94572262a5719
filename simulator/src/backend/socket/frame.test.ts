import { describe, expect, it } from 'vitest';
import { encodeFrame, parseFrame } from './frame.js';

describe('Phoenix v2 frames', () => {
  it('round-trips [join_ref, ref, topic, event, payload]', () => {
    const text = '["1","2","device","phx_join",{"peridio_version":"1.0.0"}]';
    const parsed = parseFrame(text);
    expect(parsed).toEqual({ ok: true, frame: { joinRef: '1', ref: '2', topic: 'device', event: 'phx_join', payload: { peridio_version: '1.0.0' } } });
    expect(parsed.ok && encodeFrame(parsed.frame)).toBe(text);
    expect(encodeFrame({ joinRef: null, ref: null, topic: 'device', event: 'reboot', payload: {} })).toBe('[null,null,"device","reboot",{}]');
  });

  it('rejects non-arrays and wrong lengths without a ref or topic to answer to', () => {
    expect(parseFrame('{"a":1}')).toEqual({ ok: false, joinRef: null, ref: null, topic: null,
      reason: 'frame: got object; expected an array of 5 [join_ref, ref, topic, event, payload]' });
    expect(parseFrame('[1,2,3]')).toMatchObject({ ok: false, reason: expect.stringContaining('got an array of 3') });
    expect(parseFrame('nope')).toMatchObject({ ok: false, topic: null, reason: expect.stringMatching(/^frame: not JSON \(/) });
  });

  it('keeps what it could read of a frame with a wrong field type', () => {
    expect(parseFrame('["1","7","device",null,{}]')).toEqual({ ok: false, joinRef: '1', ref: '7', topic: 'device',
      reason: 'frame[3] event: got null; expected a non-empty string' });
    expect(parseFrame('[1,"7","device","up",{}]')).toMatchObject({ ok: false, joinRef: null, ref: '7', topic: 'device',
      reason: 'frame[0] join_ref: got number; expected a string or null' });
    expect(parseFrame('[null,"7","",  "up",{}]')).toMatchObject({ ok: false, ref: '7', topic: null,
      reason: 'frame[2] topic: got ""; expected a non-empty string' });
  });

  it('refuses JSON nested deeper than 64 levels before parsing it, and takes 64', () => {
    const nested = (depth: number) => `[null,"1","device","phx_join",{"a":${'['.repeat(depth - 2)}${']'.repeat(depth - 2)}}]`;
    expect(parseFrame(nested(64))).toMatchObject({ ok: true, frame: { event: 'phx_join' } });
    expect(parseFrame(nested(65))).toEqual({ ok: false, joinRef: null, ref: null, topic: null,
      reason: 'frame: nested deeper than 64 levels (at character 97); expected [join_ref, ref, topic, event, payload]' });
    expect(parseFrame(nested(500_000))).toMatchObject({ ok: false, reason: expect.stringMatching(/^frame: nested deeper than 64 levels/) });
    // brackets inside strings are text, not nesting
    expect(parseFrame(`[null,"1","console","up",{"data":"${'['.repeat(1000)}"}]`)).toMatchObject({ ok: true });
  });

  it('refuses text over the size limit before parsing it', () => {
    expect(parseFrame(`[null,"1","console","up",{"data":"${'x'.repeat(100)}"}]`, 64)).toMatchObject({ ok: false,
      reason: 'frame: 137 characters exceeds the limit of 64' });
  });
});
