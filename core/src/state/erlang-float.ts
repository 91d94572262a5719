/** Shortest round-trip digits of |x| (no leading/trailing zeros) and the decimal exponent of the first digit. */
function shortestDigits(abs: number): { digits: string; sciExp: number } {
  const [mantissa = '', exp = '0'] = String(abs).split('e');
  const [int = '', frac = ''] = mantissa.split('.');
  const all = int + frac;
  const trimmed = all.replace(/^0+/, '');
  const leadingZeros = all.length - trimmed.length;
  return { digits: trimmed.replace(/0+$/, ''), sciExp: int.length - 1 - leadingZeros + Number(exp) };
}

const TWO_53 = 2n ** 53n;

/**
 * Formats a double as Erlang's `float_to_binary(F, [short])` does (what Jason emits for floats):
 * shortest digits, always a `.` and a fraction, `e` without `+`, fixed or scientific per OTP's
 * `erts/emulator/ryu/to_chars.h` (e.g. 0.0001, 1.0e-5, 100.0, 1.0e3, 12340.0, 1.234e5).
 */
export function erlangFloat(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`${x} has no JSON representation`);
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const { digits, sciExp } = shortestDigits(Math.abs(x));
  const length = digits.length;
  const ryuExp = sciExp - (length - 1);
  const lower = length === 1 ? -4 : -(length + 2);
  const upper = length === 1 || sciExp >= 10 ? 2 : 1;
  const output = BigInt(digits);
  const beyond53 = (output >= TWO_53 && ryuExp === 0) ||
    (output > TWO_53 / 10n && ryuExp === 1) ||
    (output > TWO_53 / 100n && ryuExp === 2);
  if (lower <= ryuExp && ryuExp <= upper && !beyond53) {
    const whole = length + ryuExp;
    if (ryuExp >= 0) return `${sign}${digits}${'0'.repeat(ryuExp)}.0`;
    if (whole > 0) return `${sign}${digits.slice(0, whole)}.${digits.slice(whole)}`;
    return `${sign}0.${'0'.repeat(-whole)}${digits}`;
  }
  return `${sign}${digits[0]}.${digits.slice(1) || '0'}e${sciExp}`;
}
