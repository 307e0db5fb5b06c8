/**
 * A shared zod schema compiled into one plain predicate: the same accept/reject answer as `schema.safeParse(v).success`,
 * without building the parsed copy and without zod's generic per-node machinery. The relay uses it on its hot path
 * (`message.send`, every chat line of every session); zod stays the single source of the rules, this only reads
 * them (`schema._zod.def`, zod's documented introspection), and zod still explains any refusal.
 *
 * Only what the hot events use is supported, and only where the answer can be exact without a copy: strict objects
 * (unknown keys refused, so there is nothing to strip), strings with length bounds and regexes, finite numbers with
 * bounds and the safe-integer format, literals, enums and booleans. Anything else (optional fields, unions, arrays,
 * refinements, transforms, coercion, defaults) makes `compileCheck` throw when the relay starts, never answer
 * differently from zod. The generated source holds only JSON-quoted keys, numbers and indexes into a regex list:
 * nothing a client sends ever reaches it. `compiledCheck.test.ts` compares it with zod on random and hand-made inputs.
 */
import type { z } from 'zod';

export type Check<T> = (value: unknown) => value is T;

interface CheckDef {
  check: string;
  length?: number;
  minimum?: number;
  maximum?: number;
  value?: number;
  inclusive?: boolean;
  format?: string;
  pattern?: RegExp;
}
interface SchemaDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  checks?: { _zod: { def: CheckDef } }[];
  values?: unknown[];
  entries?: Record<string, unknown>;
  coerce?: boolean;
  /** An optional's schema. */
  innerType?: z.ZodType;
}

function defOf(schema: z.ZodType): SchemaDef {
  return (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;
}

class Unsupported extends Error {
  constructor(where: string, what: string) {
    super(`compileCheck: ${what} at ${where || 'the top'} is not supported (use the zod schema there)`);
  }
}

/** A JavaScript literal for a primitive of a schema (a key, a literal value, a bound). */
function literal(v: unknown, where: string): string {
  if (typeof v === 'string' || typeof v === 'boolean' || v === null) return JSON.stringify(v);
  if (typeof v === 'number' && Number.isFinite(v)) return Object.is(v, -0) ? '-0' : String(v);
  throw new Unsupported(where, `the literal ${typeof v}`);
}

class Compiler {
  readonly lines: string[] = [];
  readonly patterns: RegExp[] = [];
  private vars = 0;

  /** Emits the checks of `schema` on the variable `v`, each returning false on failure. */
  node(schema: z.ZodType, v: string, where: string): void {
    const def = defOf(schema);
    if (def.coerce) throw new Unsupported(where, 'coercion');
    switch (def.type) {
      case 'object':
        return this.object(def, v, where);
      case 'string':
        this.lines.push(`if (typeof ${v} !== 'string') return false;`);
        return this.stringChecks(def, v, where);
      case 'number':
        this.lines.push(`if (typeof ${v} !== 'number' || !Number.isFinite(${v})) return false;`);
        return this.numberChecks(def, v, where);
      case 'boolean':
        this.noChecks(def, where);
        this.lines.push(`if (typeof ${v} !== 'boolean') return false;`);
        return;
      case 'literal':
        this.noChecks(def, where);
        return this.oneOf(def.values ?? [], v, where);
      case 'enum':
        this.noChecks(def, where);
        return this.oneOf(Object.values(def.entries ?? {}), v, where);
      case 'optional':
        // Absent, or undefined, as zod's optional takes; else the inner schema's checks.
        this.noChecks(def, where);
        this.lines.push(`if (${v} !== undefined) {`);
        this.node(def.innerType!, v, where);
        this.lines.push('}');
        return;
      default:
        throw new Unsupported(where, `a schema of type ${def.type}`);
    }
  }

  private object(def: SchemaDef, v: string, where: string): void {
    this.noChecks(def, where);
    // Strict only: a plain zod object strips unknown keys, which a check that does not copy cannot do.
    if (!def.catchall || defOf(def.catchall).type !== 'never') throw new Unsupported(where, 'a non-strict object');
    const keys = Object.keys(def.shape ?? {});
    this.lines.push(`if (typeof ${v} !== 'object' || ${v} === null || Array.isArray(${v})) return false;`);
    // As zod does: every enumerable key, inherited ones included, must be declared (`__proto__` too).
    const cases = keys.map((k) => `case ${literal(k, where)}:`).join(' ');
    this.lines.push(`for (const k in ${v}) { switch (k) { ${cases} break; default: return false; } }`);
    for (const key of keys) {
      const child = `v${++this.vars}`;
      this.lines.push(`const ${child} = ${v}[${literal(key, where)}];`);
      this.node(def.shape![key]!, child, where ? `${where}.${key}` : key);
    }
  }

  private stringChecks(def: SchemaDef, v: string, where: string): void {
    for (const c of def.checks ?? []) {
      const d = c._zod.def;
      if (d.check === 'length_equals') this.lines.push(`if (${v}.length !== ${literal(d.length, where)}) return false;`);
      else if (d.check === 'min_length') this.lines.push(`if (${v}.length < ${literal(d.minimum, where)}) return false;`);
      else if (d.check === 'max_length') this.lines.push(`if (${v}.length > ${literal(d.maximum, where)}) return false;`);
      else if (d.check === 'string_format' && d.format === 'regex' && d.pattern instanceof RegExp && !d.pattern.global && !d.pattern.sticky) {
        // Without g or y a regex keeps no state between tests.
        this.patterns.push(d.pattern);
        this.lines.push(`if (!P[${this.patterns.length - 1}].test(${v})) return false;`);
      } else throw new Unsupported(where, `the string check ${d.check}${d.format ? ` (${d.format})` : ''}`);
    }
  }

  private numberChecks(def: SchemaDef, v: string, where: string): void {
    for (const c of def.checks ?? []) {
      const d = c._zod.def;
      if (d.check === 'number_format' && d.format === 'safeint') this.lines.push(`if (!Number.isSafeInteger(${v})) return false;`);
      else if (d.check === 'greater_than') this.lines.push(`if (${v} ${d.inclusive ? '<' : '<='} ${literal(d.value, where)}) return false;`);
      else if (d.check === 'less_than') this.lines.push(`if (${v} ${d.inclusive ? '>' : '>='} ${literal(d.value, where)}) return false;`);
      else throw new Unsupported(where, `the number check ${d.check}${d.format ? ` (${d.format})` : ''}`);
    }
  }

  private oneOf(values: unknown[], v: string, where: string): void {
    if (values.length === 0) throw new Unsupported(where, 'an empty literal or enum');
    // Strict equality is zod's own test here: no NaN among literals (refused by `literal`), and -0 === 0 in both.
    this.lines.push(`if (${values.map((x) => `${v} !== ${literal(x, where)}`).join(' && ')}) return false;`);
  }

  private noChecks(def: SchemaDef, where: string): void {
    if (def.checks?.length) throw new Unsupported(where, `checks on a ${def.type} (refinements)`);
  }
}

/** Compiles `schema` (see the module comment for what is supported); throws on anything it cannot answer exactly. */
export function compileCheck<T>(schema: z.ZodType<T>): Check<T> {
  const c = new Compiler();
  c.node(schema, 'v0', '');
  const body = `return function check(v0) {\n${c.lines.join('\n')}\nreturn true;\n};`;
  // The source is built from the schema alone (see above); P carries its regexes.
  const make = new Function('P', body) as (patterns: RegExp[]) => (value: unknown) => boolean;
  return make(c.patterns) as Check<T>;
}
