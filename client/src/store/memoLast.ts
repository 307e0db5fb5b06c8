/**
 * Remembers the last result of a pure function of a few inputs, compared by identity: a selector over the engine's
 * state then returns the same object until one of its inputs changes (the engine replaces only what changed), so a
 * component selecting it does not re-render on unrelated changes (a typing signal, a message).
 */
export function memoLast<A extends readonly unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  let last: { args: A; result: R } | null = null;
  return (...args: A): R => {
    if (last && last.args.length === args.length && last.args.every((a, i) => a === args[i])) return last.result;
    const result = fn(...args);
    last = { args, result };
    return result;
  }
}
