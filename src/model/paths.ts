// Dotted-path access into run vars and JSON data (`a.b.0`, `a[0].b`), shared by the runtime
// (result_key assignment) and the VisualFlow nodes. Python semantics: a miss reads as null.

import { isPlainObject } from './json.js';

/** Own-property lookup step shared by both path readers: dict keys, or digit indices into lists. */
function walkPath(value: unknown, tokens: (string | number)[]): any {
  let cur: any = value;
  for (const t of tokens) {
    if (isPlainObject(cur) && typeof t === 'string') {
      cur = Object.hasOwn(cur, t) ? cur[t] : null;
    } else if (Array.isArray(cur)) {
      const idx = typeof t === 'number' ? t : /^\d+$/.test(t) ? Number(t) : -1;
      if (idx < 0 || idx >= cur.length) return null;
      cur = cur[idx];
    } else return null;
  }
  return cur ?? null;
}

/** Dotted path (`a.b.0`): object keys or numeric segments into arrays; any miss → null. */
export function getByPath(obj: unknown, path: string): any {
  return walkPath(obj, path.split('.'));
}

const PATH_TOKEN_RE = /([^.[\]]+)|\[(\d+)\]/g;

/** Dotted path that also accepts `[i]` indices (`a[0].b`); an empty path → null. */
export function getByIndexedPath(obj: unknown, path: string): any {
  const tokens: (string | number)[] = [];
  for (const m of path.trim().matchAll(PATH_TOKEN_RE)) {
    if (m[1] !== undefined) {
      if (m[1].trim()) tokens.push(m[1].trim());
    } else tokens.push(Number(m[2]));
  }
  return tokens.length ? walkPath(obj, tokens) : null;
}

/** Assign an own property even for keys like `__proto__` (JSON data may contain them). */
export function defineKey(obj: Record<string, any>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** Dotted-path assignment; creates missing intermediates and replaces non-object ones with `{}`. */
export function setByPath(obj: Record<string, any>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj;
  for (const part of parts.slice(0, -1)) {
    let next = Object.hasOwn(cur, part) ? cur[part] : undefined;
    if (!isPlainObject(next)) {
      next = {};
      defineKey(cur, part, next);
    }
    cur = next;
  }
  defineKey(cur, parts[parts.length - 1], value);
}
