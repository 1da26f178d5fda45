/**
 * Replay tokens: a schedule as a short printable string, stable across
 * processes (it holds no ids of objects, no addresses, no times of day).
 *
 *   cc1.<flags>.<choices>.<check>
 *
 * - `cc1`: the format (version 1).
 * - flags: what the run depended on besides the choices, as upper-case tags
 *   each followed by a lower-case base-36 value: `S` the runtime seed (`-` for
 *   a negative one), `P` preemption points before operations, `J` jitter in
 *   microseconds, `M` the step budget, `U` the virtual-time budget in
 *   microseconds, `L` leak detection, and what the recorded run did: `N` its
 *   steps, `H` a hash of the ready sets it saw (replay checks it: a
 *   different set of ready coroutines is nondeterminism in the program), `K`
 *   how it ended (`o` ok, `e` error, `d` deadlock, `l` leak, `b` budget).
 * - choices: the decision at every choice point with two or more options, in
 *   order, base 36, separated by `-`; a run of n default (0) decisions is
 *   `_n`; trailing defaults are dropped (`~` when there is none).
 * - check: a hash of everything before it, so a mistyped token is refused
 *   rather than replayed as another schedule.
 */
import { describeValue } from "../describe.js";

export type FailureKind = "error" | "deadlock" | "leak" | "budget";

/** What a token says: the run's settings, its choices, and what the recorded run saw. */
export interface Schedule {
  seed: number;
  preemptAtOps: boolean;
  /** ms */
  jitter: number;
  maxSteps: number;
  /** ms, or undefined for no budget */
  until: number | undefined;
  detectLeaks: boolean;
  choices: number[];
  /** The recorded run: its step count, ready-set hash and ending (undefined when unknown). */
  steps?: number;
  hash?: number;
  kind?: FailureKind | "ok";
}

const KIND_CODES: Record<FailureKind | "ok", string> = { ok: "o", error: "e", deadlock: "d", leak: "l", budget: "b" };

/** FNV-1a over a string, as an unsigned 32-bit number. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function int36(n: number): string {
  return n < 0 ? `-${(-n).toString(36)}` : n.toString(36);
}

/** The choices, run-length encoded (see the module doc). */
export function encodeChoices(choices: readonly number[]): string {
  let end = choices.length;
  while (end > 0 && choices[end - 1] === 0) end--;
  const items: string[] = [];
  for (let i = 0; i < end;) {
    if (choices[i] === 0) {
      let j = i;
      while (j < end && choices[j] === 0) j++;
      items.push(j - i === 1 ? "0" : `_${(j - i).toString(36)}`);
      i = j;
    } else {
      items.push(choices[i].toString(36));
      i++;
    }
  }
  return items.length === 0 ? "~" : items.join("-");
}

export function decodeChoices(body: string, token: string): number[] {
  if (body === "~") return [];
  const out: number[] = [];
  for (const item of body.split("-")) {
    if (/^_[0-9a-z]+$/.test(item)) {
      const n = parseInt(item.slice(1), 36);
      if (n > 10_000_000) throw new RangeError(`replay token ${JSON.stringify(token)} has a run of ${n} default choices (more than any run takes)`);
      for (let k = 0; k < n; k++) out.push(0);
    } else if (/^[0-9a-z]+$/.test(item)) out.push(parseInt(item, 36));
    else throw new RangeError(`replay token ${JSON.stringify(token)} has a malformed choice ${JSON.stringify(item)}`);
  }
  return out;
}

export function encodeToken(s: Schedule): string {
  let flags = `S${int36(s.seed)}`;
  if (s.preemptAtOps) flags += "P";
  if (s.jitter > 0) flags += `J${Math.round(s.jitter * 1000).toString(36)}`;
  flags += `M${s.maxSteps.toString(36)}`;
  if (s.until !== undefined) flags += `U${Math.round(s.until * 1000).toString(36)}`;
  if (s.detectLeaks) flags += "L";
  if (s.steps !== undefined) flags += `N${s.steps.toString(36)}`;
  if (s.hash !== undefined) flags += `H${s.hash.toString(36)}`;
  if (s.kind !== undefined) flags += `K${KIND_CODES[s.kind]}`;
  const body = `cc1.${flags}.${encodeChoices(s.choices)}`;
  return `${body}.${hashString(body).toString(36)}`;
}

/** Parses a token; a RangeError (TypeError for a non-string) that names it when it is not one. */
export function decodeToken(token: unknown): Schedule {
  if (typeof token !== "string") throw new TypeError(`a replay token must be a string such as "cc1.S1M2710.~.1x2y3z", received ${describeValue(token)}`);
  const parts = token.trim().split(".");
  if (parts.length !== 4 || parts[0] !== "cc1") throw new RangeError(`${JSON.stringify(token)} is not a replay token (cc1.<flags>.<choices>.<check>)`);
  const [, flags, body, check] = parts;
  if (hashString(`cc1.${flags}.${body}`).toString(36) !== check) {
    throw new RangeError(`replay token ${JSON.stringify(token)} fails its check (mistyped or cut?): copy it whole from the failure message`);
  }
  const s: Schedule = { seed: 1, preemptAtOps: false, jitter: 0, maxSteps: 0, until: undefined, detectLeaks: false, choices: decodeChoices(body, token) };
  for (const m of flags.matchAll(/([A-Z])(-?[0-9a-z]*)/g)) {
    const v = m[2];
    const n = v.startsWith("-") ? -parseInt(v.slice(1), 36) : parseInt(v, 36);
    switch (m[1]) {
      case "S":
        s.seed = n;
        break;
      case "P":
        s.preemptAtOps = true;
        break;
      case "J":
        s.jitter = n / 1000;
        break;
      case "M":
        s.maxSteps = n;
        break;
      case "U":
        s.until = n / 1000;
        break;
      case "L":
        s.detectLeaks = true;
        break;
      case "N":
        s.steps = n;
        break;
      case "H":
        s.hash = n;
        break;
      case "K": {
        const kind = (Object.keys(KIND_CODES) as (keyof typeof KIND_CODES)[]).find((k) => KIND_CODES[k] === v);
        if (kind === undefined) throw new RangeError(`replay token ${JSON.stringify(token)} has an unknown ending ${JSON.stringify(v)}`);
        s.kind = kind;
        break;
      }
      default:
        throw new RangeError(`replay token ${JSON.stringify(token)} has an unknown flag ${m[1]}`);
    }
  }
  if (!(s.maxSteps > 0)) throw new RangeError(`replay token ${JSON.stringify(token)} has no step budget (M)`);
  return s;
}
