// A subset of Python's `ast.literal_eval`, used by parse_json / stringify_json to accept the
// Python-style dicts and lists LLMs often print: strings (quotes, r/u prefixes, escapes,
// implicit concatenation), numbers, True/False/None, lists, tuples (→ arrays) and dicts
// (keys converted with `str()`, as the reference's JSON conversion does).

import { pyStr } from '../py.js';

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\n': '',
};
const NUMBER_RE = /0[xX][\da-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d(?:_?\d)*)?(?:\.(?:\d(?:_?\d)*)?)?(?:[eE][+-]?\d(?:_?\d)*)?/y;

class LiteralParser {
  i = 0;
  constructor(private readonly src: string) {}

  fail(what: string): never {
    throw new Error(`${what} at position ${this.i}`);
  }

  ws(): void {
    for (;;) {
      const c = this.src[this.i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') this.i++;
      else if (c === '\\' && this.src[this.i + 1] === '\n') this.i += 2;
      else if (c === '#') while (this.i < this.src.length && this.src[this.i] !== '\n') this.i++;
      else return;
    }
  }

  eat(c: string): boolean {
    this.ws();
    if (this.src[this.i] !== c) return false;
    this.i++;
    return true;
  }

  /** Comma-separated items up to `close`; a trailing comma is allowed. Returns whether any comma was seen. */
  items(close: string, item: () => void): boolean {
    let comma = false;
    while (!this.eat(close)) {
      item();
      if (this.eat(close)) break;
      if (!this.eat(',')) this.fail(`expected ',' or '${close}'`);
      comma = true;
    }
    return comma;
  }

  value(): unknown {
    this.ws();
    const c = this.src[this.i];
    if (c === undefined) this.fail('unexpected end of input');
    if (c === '[') {
      this.i++;
      const out: unknown[] = [];
      this.items(']', () => out.push(this.value()));
      return out;
    }
    if (c === '(') {
      this.i++;
      const out: unknown[] = [];
      const comma = this.items(')', () => out.push(this.value()));
      return out.length === 1 && !comma ? out[0] : out; // `(x)` is x, `(x,)` a tuple
    }
    if (c === '{') {
      this.i++;
      const out: Record<string, unknown> = {};
      this.items('}', () => {
        const key = this.value();
        if (typeof key === 'object' && key !== null) this.fail('unhashable dict key');
        if (!this.eat(':')) this.fail("expected ':' (sets are not supported)");
        Object.defineProperty(out, pyStr(key), { value: this.value(), enumerable: true, writable: true, configurable: true });
      });
      return out;
    }
    if (c === '+' || c === '-') {
      this.i++;
      const operand = this.value();
      if (typeof operand !== 'number') this.fail('unary operator on a non-number');
      return c === '-' ? -operand : operand;
    }
    if (c === "'" || c === '"' || /^[rRuU]['"]/.test(this.src.slice(this.i, this.i + 2))) return this.strings();
    const word = /[A-Za-z_]\w*/y;
    word.lastIndex = this.i;
    const w = word.exec(this.src)?.[0];
    if (w !== undefined) {
      this.i += w.length;
      if (w === 'True') return true;
      if (w === 'False') return false;
      if (w === 'None') return null;
      this.fail(`name '${w}' is not a literal`);
    }
    NUMBER_RE.lastIndex = this.i;
    const num = NUMBER_RE.exec(this.src)?.[0] ?? '';
    if (!/\d/.test(num)) this.fail('unexpected character');
    this.i += num.length;
    if (/[jJ]/.test(this.src[this.i] ?? '')) this.fail('complex numbers are not supported');
    return Number(num.replaceAll('_', ''));
  }

  /** One or more adjacent string literals, concatenated like Python does. */
  strings(): string {
    let out = '';
    do out += this.string();
    while ((this.ws(), /^[rRuU]?['"]/.test(this.src.slice(this.i, this.i + 2))));
    return out;
  }

  string(): string {
    let raw = false;
    if (/[rRuU]/.test(this.src[this.i])) raw = /[rR]/.test(this.src[this.i++]);
    const quote = this.src.startsWith(this.src[this.i].repeat(3), this.i) ? this.src[this.i].repeat(3) : this.src[this.i];
    this.i += quote.length;
    let out = '';
    for (;;) {
      if (this.i >= this.src.length) this.fail('unterminated string literal');
      if (this.src.startsWith(quote, this.i)) {
        this.i += quote.length;
        return out;
      }
      const c = this.src[this.i++];
      if (c === '\n' && quote.length === 1) this.fail('unterminated string literal');
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.src[this.i++] ?? '';
      if (raw) out += c + e;
      else if (Object.hasOwn(SIMPLE_ESCAPES, e)) out += SIMPLE_ESCAPES[e];
      else if (/[0-7]/.test(e)) {
        const oct = /[0-7]{1,3}/y;
        oct.lastIndex = this.i - 1;
        const digits = oct.exec(this.src)![0];
        this.i += digits.length - 1;
        out += String.fromCodePoint(parseInt(digits, 8));
      } else if (e === 'x' || e === 'u' || e === 'U') {
        const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = this.src.slice(this.i, this.i + len);
        if (!new RegExp(`^[\\da-fA-F]{${len}}$`).test(hex)) this.fail(`truncated \\${e} escape`);
        this.i += len;
        out += String.fromCodePoint(parseInt(hex, 16));
      } else out += c + e; // unknown escapes keep the backslash
    }
  }
}

/** Evaluate a Python literal expression; throws with a short reason when it is not one. */
export function literalEval(text: string): unknown {
  const p = new LiteralParser(text);
  const v = p.value();
  p.ws();
  if (p.i < text.length) p.fail('unexpected trailing input');
  return v;
}
