/**
 * The part of js-csp 1.x the channel benchmarks use (the package ships no
 * types). Its UMD bundle exports one object, so it is imported as a default.
 */
declare module "js-csp" {
  /** An opaque js-csp channel. */
  interface CspChannel<T> {
    readonly __cspValue?: T;
  }
  /** What a go-block yields: an instruction the js-csp scheduler carries out. */
  interface CspInstruction<T> {
    readonly __cspResult?: T;
  }
  interface Csp {
    chan<T>(bufferOrNumber?: number): CspChannel<T>;
    go<A extends unknown[], R>(block: (...args: A) => Generator<CspInstruction<unknown>, R, unknown>, args?: A): CspChannel<R>;
    put<T>(ch: CspChannel<T>, value: T): CspInstruction<boolean>;
    take<T>(ch: CspChannel<T>): CspInstruction<T>;
    takeAsync<T>(ch: CspChannel<T>, callback: (value: T) => void): void;
  }
  const csp: Csp;
  export default csp;
  export type { CspChannel, CspInstruction };
}
