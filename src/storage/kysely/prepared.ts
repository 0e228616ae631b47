import { randomBytes } from 'node:crypto';
import { type Compilable, type CompiledQuery, createQueryId, type QueryResult } from 'kysely';

type Param = string | number | null;

/** What NulParameterPlugin does to a value, done here because the plugin ran only at preparation. */
const clean = (v: Param): Param => (typeof v === 'string' && v.includes('\u0000') ? v.replaceAll('\u0000', '\uFFFD') : v);

/**
 * A query built and compiled once and then run with new parameter values. Building a statement
 * with Kysely's query builder and compiling it costs tens of microseconds — more than SQLite takes
 * to answer a primary-key read — so the reads on every token use are prepared with this.
 *
 * `db` is a getter, so that a class field can prepare a query on a constructor parameter.
 * `build` receives one placeholder per argument and must pass each straight to the builder as a
 * value (`where('id', '=', id)`); the placeholders' positions in the compiled parameters are
 * recorded and filled with the real arguments on each call.
 */
/** Any Kysely instance (or transaction): only statement execution is needed. */
export interface Executor {
  executeQuery<R>(query: CompiledQuery<R>): Promise<QueryResult<R>>;
}

/** A prepared query: call it, or run it on a transaction with `on(trx)`. */
export type Prepared<A extends Param[], R> = ((...args: A) => Promise<R[]>) & { on(executor: Executor): (...args: A) => Promise<R[]> };

export function prepared<A extends Param[], R>(db: () => Executor, arity: A['length'], build: (...args: A) => Compilable<R>): Prepared<A, R> {
  let template: { compiled: CompiledQuery<R>; slots: Array<{ arg: number } | { value: unknown }> } | null = null;
  const prepare = () => {
    const tag = randomBytes(8).toString('hex');
    const marks = Array.from({ length: arity }, (_, i) => `\u2063prepared:${tag}:${i}\u2063`);
    const compiled = build(...(marks as A)).compile();
    const slots = compiled.parameters.map((p) => {
      const arg = typeof p === 'string' ? marks.indexOf(p) : -1;
      return arg >= 0 ? { arg } : { value: p };
    });
    for (let i = 0; i < arity; i++) {
      if (!slots.some((s) => 'arg' in s && s.arg === i)) throw new Error(`prepared query: argument ${i} is not a parameter of ${compiled.sql}`);
    }
    return { compiled, slots };
  };
  const run = async (executor: Executor, args: A): Promise<R[]> => {
    template ??= prepare();
    const { compiled, slots } = template;
    const parameters = slots.map((s) => ('arg' in s ? clean(args[s.arg] as Param) : s.value));
    const result = await executor.executeQuery<R>({ ...compiled, parameters, queryId: createQueryId() });
    return result.rows;
  };
  return Object.assign((...args: A) => run(db(), args), {
    on:
      (executor: Executor) =>
      (...args: A) =>
        run(executor, args),
  });
}
