/**
 * The common shape of a synchronous subject case: setup makes one Runtime,
 * runs the workload once and lets `check` verify that it did what the case's
 * name says (results, switch counts, stacks freed); every timed call then runs
 * the workload again on that runtime (spawn, run() to completion). The case
 * reports modelled cycles per op through a ModelMeter.
 */
import { Runtime } from "cprime-coro";
import type { TimedCase } from "../types.js";
import { ModelMeter } from "./model-meter.js";

export interface RuntimeCaseSpec {
  name: string;
  opsPerCall: number;
  baseline?: string;
  /** The floor case (see TimedCase.floor). */
  floor?: string;
  target?: { ns: number; text: string };
  note: string;
  /** One call: spawns on `rt` and runs it to completion. */
  workload: (rt: Runtime) => void;
  /** Runs the workload once on a fresh runtime and throws unless it did its job. */
  check: (rt: Runtime) => void;
}

export function runtimeCase(spec: RuntimeCaseSpec): TimedCase {
  let rt: Runtime | null = null;
  const meter = new ModelMeter(spec.opsPerCall);
  const workload = spec.workload;
  return {
    name: spec.name,
    role: "subject",
    ...(spec.baseline === undefined ? {} : { baseline: spec.baseline }),
    ...(spec.floor === undefined ? {} : { floor: spec.floor }),
    opsPerCall: spec.opsPerCall,
    ...(spec.target === undefined ? {} : { target: spec.target }),
    note: spec.note,
    setup() {
      rt = new Runtime({ name: `bench ${spec.name}` });
      spec.check(rt);
      meter.start(rt);
    },
    fn() {
      meter.calls++;
      workload(rt!);
    },
    modelCycles: () => meter.perOp(),
    teardown() {
      rt = null;
    },
  };
}
