/**
 * A fast reader for the lines metrics.jsonl is made of: one flat JSON object whose values are
 * numbers (or null, true, false). It reads the bytes in place, with no string per line and one
 * string per distinct key, and is several times faster than JSON.parse on such lines, which is
 * what lets a million-line log open in seconds. Anything else (strings, nesting, escapes, a
 * line cut short) is refused, and the caller falls back to JSON.parse, the reference path;
 * a test checks both agree on every kind of line.
 *
 * Numbers are read as mantissa and power of ten; with more than 15 significant digits the
 * result may differ from JSON.parse's correctly rounded one in the last bit, which no chart shows.
 */

/** The fields of one line; arrays are reused from line to line. */
export interface FlatFields {
  count: number;
  keys: string[];
  values: Float64Array;
}

export function flatFields(capacity = 64): FlatFields {
  return { count: 0, keys: new Array<string>(capacity), values: new Float64Array(capacity) };
}

/** One string per distinct key, found by its bytes. */
export class KeyTable {
  private readonly byHash = new Map<number, { bytes: Uint8Array; key: string }[]>();
  /** The key met at each field position of the previous line: lines of a log share their layout. */
  private readonly previous: { bytes: Uint8Array; key: string }[] = [];

  /** The key at field `position` of a line: first checked against the previous line's. */
  at(position: number, buf: Uint8Array, start: number, end: number): string {
    const guess = this.previous[position];
    if (guess && guess.bytes.length === end - start) {
      const bytes = guess.bytes;
      let i = 0;
      while (i < bytes.length && bytes[i] === buf[start + i]) i++;
      if (i === bytes.length) return guess.key;
    }
    const key = this.intern(buf, start, end);
    this.previous[position] = this.entries.get(key)!;
    return key;
  }

  private readonly entries = new Map<string, { bytes: Uint8Array; key: string }>();

  intern(buf: Uint8Array, start: number, end: number): string {
    let hash = end - start;
    for (let i = start; i < end; i++) hash = (Math.imul(hash, 31) + buf[i]) | 0;
    let bucket = this.byHash.get(hash);
    if (bucket) {
      for (const entry of bucket) {
        if (entry.bytes.length !== end - start) continue;
        let same = true;
        for (let i = 0; i < entry.bytes.length; i++) {
          if (entry.bytes[i] !== buf[start + i]) {
            same = false;
            break;
          }
        }
        if (same) return entry.key;
      }
    } else {
      bucket = [];
      this.byHash.set(hash, bucket);
    }
    const bytes = buf.slice(start, end);
    const key = new TextDecoder().decode(bytes);
    const entry = { bytes, key };
    bucket.push(entry);
    this.entries.set(key, entry);
    return key;
  }
}

const pow10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

const QUOTE = 34;
const BACKSLASH = 92;
const COLON = 58;
const COMMA = 44;
const OPEN = 123;
const CLOSE = 125;
const MINUS = 45;
const PLUS = 43;
const DOT = 46;
const ZERO = 48;
const NINE = 57;

function latin1(buf: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]);
  return s;
}

const isSpace = (b: number) => b === 32 || b === 9 || b === 13;

/**
 * Read the line `buf[start, end)` into `out` (numeric fields only; null, true and false are
 * accepted and left out). False when the line is anything but a flat object of such values.
 */
export function readFlatRecord(buf: Uint8Array, start: number, end: number, keys: KeyTable, out: FlatFields): boolean {
  let i = start;
  while (i < end && isSpace(buf[i])) i++;
  while (end > i && isSpace(buf[end - 1])) end--;
  if (buf[i] !== OPEN || buf[end - 1] !== CLOSE) return false;
  i++;
  out.count = 0;
  const last = end - 1;
  while (i < last && isSpace(buf[i])) i++;
  if (i === last) return true;
  for (;;) {
    // "key"
    if (buf[i] !== QUOTE) return false;
    const keyStart = ++i;
    while (i < last && buf[i] !== QUOTE) {
      if (buf[i] === BACKSLASH || buf[i] < 32) return false;
      i++;
    }
    if (i >= last) return false;
    const keyEnd = i++;
    while (i < last && isSpace(buf[i])) i++;
    if (buf[i] !== COLON) return false;
    i++;
    while (i < last && isSpace(buf[i])) i++;
    // value
    const b = buf[i];
    if (b === MINUS || (b >= ZERO && b <= NINE)) {
      const numberStart = i;
      let negative = false;
      if (b === MINUS) {
        negative = true;
        i++;
      }
      let mantissa = 0;
      let digits = 0;
      let scale = 0;
      if (buf[i] === ZERO) {
        i++;
        digits = 1;
      } else {
        while (i < last && buf[i] >= ZERO && buf[i] <= NINE) {
          mantissa = mantissa * 10 + (buf[i] - ZERO);
          digits++;
          i++;
        }
      }
      if (digits === 0) return false;
      if (buf[i] === DOT) {
        i++;
        const fracStart = i;
        while (i < last && buf[i] >= ZERO && buf[i] <= NINE) {
          mantissa = mantissa * 10 + (buf[i] - ZERO);
          i++;
        }
        if (i === fracStart) return false;
        scale = -(i - fracStart);
      }
      if (buf[i] === 101 || buf[i] === 69) {
        i++;
        let expNegative = false;
        if (buf[i] === MINUS || buf[i] === PLUS) {
          expNegative = buf[i] === MINUS;
          i++;
        }
        const expStart = i;
        let exp = 0;
        while (i < last && buf[i] >= ZERO && buf[i] <= NINE) {
          exp = exp * 10 + (buf[i] - ZERO);
          i++;
        }
        if (i === expStart) return false;
        scale += expNegative ? -exp : exp;
      }
      let value: number;
      if (scale === 0) value = mantissa;
      else if (scale < 0 && scale >= -22) value = mantissa / pow10[-scale];
      else if (scale > 0 && scale <= 22) value = mantissa * pow10[scale];
      else value = Math.abs(Number(latin1(buf, numberStart, i))); // far exponents: let the engine round
      if (out.count === out.values.length) return false;
      out.keys[out.count] = keys.at(out.count, buf, keyStart, keyEnd);
      out.values[out.count] = negative ? -value : value;
      out.count++;
    } else if (b === 110 && buf[i + 1] === 117 && buf[i + 2] === 108 && buf[i + 3] === 108) {
      i += 4; // null
    } else if (b === 116 && buf[i + 1] === 114 && buf[i + 2] === 117 && buf[i + 3] === 101) {
      i += 4; // true
    } else if (b === 102 && buf[i + 1] === 97 && buf[i + 2] === 108 && buf[i + 3] === 115 && buf[i + 4] === 101) {
      i += 5; // false
    } else {
      return false;
    }
    while (i < last && isSpace(buf[i])) i++;
    if (i === last) return true;
    if (buf[i] !== COMMA) return false;
    i++;
    while (i < last && isSpace(buf[i])) i++;
  }
}
