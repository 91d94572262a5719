import { describe, expect, it } from 'vitest';
import { createEscapeFilter } from './shell-escape.js';

const run = (...reads: string[]) => {
  const f = createEscapeFilter();
  let forward = '';
  for (const r of reads) {
    const out = f(r);
    forward += out.forward;
    if (out.detach) return { forward, detach: true };
  }
  return { forward, detach: false };
};

describe('createEscapeFilter', () => {
  it.each([
    ['~. at the very start detaches', ['~.'], '', true],
    ['~. after Enter detaches, what came before is sent', ['ls\r~.'], 'ls\r', true],
    ['~. split across reads', ['ls\r~', '.'], 'ls\r', true],
    ['~. in the middle of a line is plain text', ['a~.b'], 'a~.b', false],
    ['~~ sends one tilde', ['~~.'], '~.', false],
    ['~ then another key sends both', ['~x\r'], '~x\r', false],
    ['Ctrl-] detaches anywhere', ['echo hi\x1dmore'], 'echo hi', true],
    ['multi-byte text passes', ['é€𝄞\n~.'], 'é€𝄞\n', true],
  ])('%s', (_what, reads, forward, detach) => {
    expect(run(...reads)).toEqual({ forward, detach });
  });
});
