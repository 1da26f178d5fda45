/**
 * Channel-affinity pools, the facade's side: the seed's mapping of channel
 * patterns to pool classes, the `pools: { affinity }` option, and inferring
 * a plain spawn's pattern from the ports and channels it is given.
 *
 * The seed (`ChannelCoroPool`): send-only and receive-only coroutines in
 * micro pools, send-and-receive ones in a small pool, select ones in a
 * medium pool, each pattern in pools of its own. The scheduler carves a
 * pattern's stacks from pools reserved to it (memory: `allocAffinityStack`,
 * tag = index in CHANNEL_PATTERNS + 1) at max(the definition's class, the
 * pattern's class). This file lives in the facade because inference must
 * recognise channel ports, and the scheduler may not import the channel layer.
 */
import { describeValue } from "../describe.js";
import { Channel } from "../chan/channel.js";
import { channelOfRecvPort, channelOfSendPort } from "../chan/ports.js";
import { CHANNEL_PATTERNS, type ChannelPattern } from "../coro/coro.js";
import { isSizeClass, type SizeClass } from "../memory/size-classes.js";

/** The seed's ChannelCoroPool: which class of pool each pattern's coroutines come from. */
export const SEED_AFFINITY: Readonly<Record<ChannelPattern, SizeClass>> = Object.freeze({
  sendOnly: "micro",
  recvOnly: "micro",
  sendRecv: "small",
  select: "medium",
});

/** `pools.affinity`: true for the seed's mapping, a partial mapping over it, false/absent for off. */
export type AffinityOption = boolean | Partial<Record<ChannelPattern, SizeClass>>;

/** The mapping in force, or null when affinity pools are off. TypeError naming a bad pattern or class. */
export function resolveAffinity(option: unknown): Readonly<Record<ChannelPattern, SizeClass>> | null {
  if (option === undefined || option === false) return null;
  if (option === true) return SEED_AFFINITY;
  if (option === null || typeof option !== "object") {
    throw new TypeError(`Runtime option pools.affinity must be true, false or a mapping such as { select: "small" }, received ${describeValue(option)}`);
  }
  const out: Record<ChannelPattern, SizeClass> = { ...SEED_AFFINITY };
  for (const key of Object.keys(option)) {
    if (!(CHANNEL_PATTERNS as readonly string[]).includes(key)) {
      throw new TypeError(`Runtime option pools.affinity has no pattern ${JSON.stringify(key)}; the patterns are ${CHANNEL_PATTERNS.join(", ")}`);
    }
    const sizeClass = (option as Record<string, unknown>)[key];
    if (!isSizeClass(sizeClass) || sizeClass === "large") {
      throw new TypeError(`Runtime option pools.affinity.${key} must be "micro", "small" or "medium", received ${describeValue(sizeClass)}`);
    }
    out[key as ChannelPattern] = sizeClass;
  }
  return Object.freeze(out);
}

/**
 * The pattern a plain spawn's arguments imply: only send ports → sendOnly,
 * only receive ports → recvOnly, a channel, or ports of both directions →
 * sendRecv; no channel at all → undefined (the coroutine goes to the general
 * pools). "select" cannot be seen from arguments: a definition declares it.
 */
export function inferPattern(args: readonly unknown[]): ChannelPattern | undefined {
  let send = false;
  let recv = false;
  for (const a of args) {
    if (a === null || typeof a !== "object") continue;
    if (a instanceof Channel) send = recv = true;
    else if (channelOfSendPort(a) !== undefined) send = true;
    else if (channelOfRecvPort(a) !== undefined) recv = true;
  }
  return send ? (recv ? "sendRecv" : "sendOnly") : recv ? "recvOnly" : undefined;
}
