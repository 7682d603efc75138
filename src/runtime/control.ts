// Pause flag helpers (spec runtime-visualflow §1.6): pausing is a flag in vars._runtime.control,
// plus a synthetic user wait for a run that was running.

import type { RunState, WaitState } from '../model/run.js';
import { isPlainObject } from '../model/json.js';

export function isPaused(run: RunState): boolean {
  return run.vars?._runtime?.control?.paused === true;
}

export function controlOf(run: RunState): Record<string, any> {
  if (!isPlainObject(run.vars._runtime)) run.vars._runtime = {};
  if (!isPlainObject(run.vars._runtime.control)) run.vars._runtime.control = {};
  return run.vars._runtime.control;
}

export function isPauseWait(w: WaitState | null): boolean {
  return !!w && (w.details?.kind === 'pause' || (typeof w.wait_key === 'string' && w.wait_key.startsWith('pause:')));
}

export function pauseWait(run: RunState): WaitState {
  return {
    reason: 'user',
    wait_key: `pause:${run.run_id}`,
    until: null,
    resume_to_node: run.current_node,
    result_key: null,
    prompt: 'Paused',
    choices: null,
    allow_free_text: false,
    details: { kind: 'pause' },
  };
}
