/**
 * The project's one pseudo-random generator, for simulations and tests only (the engine never uses
 * randomness): sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, PractRand-tested),
 * seeded through splitmix32 so that nearby seeds give unrelated streams. One seed gives one stream
 * on every platform (32-bit integer arithmetic only).
 */
import { SemilatticeError } from "../core/errors.js";

export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** `seed` is taken modulo 2^32. */
  constructor(seed: number) {
    let s = seed >>> 0;
    const splitmix = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = splitmix();
    this.b = splitmix();
    this.c = splitmix();
    this.d = splitmix();
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }

  /** Exponential with the given mean. */
  exp(mean: number): number {
    return mean <= 0 ? 0 : -Math.log(1 - this.next()) * mean;
  }

  /** A uniformly chosen item; throws `EMPTY_CHOICE` on an empty list. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new SemilatticeError("EMPTY_CHOICE", "pick from an empty list");
    return items[this.int(items.length)] as T;
  }

  /** A new generator derived from this one (for independent streams). */
  fork(): Prng {
    return new Prng(this.nextU32());
  }
}

/** `() => uniform in [0, 1)` over a {@link Prng} seeded with `seed` (for code that wants a function). */
export function prngFunction(seed: number): () => number {
  const p = new Prng(seed);
  return () => p.next();
}
