// One definition per node type: its catalogue kind (spec §5 legend) and everything the compiler
// and the engine need to run it. The registry (./index.ts) collects the definitions of every
// area file; the compiler attaches each node's definition to the graph, so the engine never
// looks a type up.

import type { StepPlan } from '../../model/run.js';
import type { ExecNode, FlowGraph, GraphNode } from '../engine/graph.js';
import type { StepScope } from '../engine/scope.js';
import type { PureLogic } from '../types.js';

export type NodeKind = 'literal' | 'pure' | 'visual' | 'var' | 'sched' | 'effect' | 'agent' | 'unsupported';

/** Runs one step of an exec node (spec §4.6). */
export type StepHandler = (n: ExecNode, s: StepScope) => StepPlan;

/** Output pins of an effect node from its raw outcome at `vars._temp.effects[<node>]` (spec §4.4 rule 3). */
export type OutputMapper = (raw: any, n: GraphNode, g: FlowGraph) => Record<string, any>;

/**
 * Data nodes, evaluated lazily (spec §4.5.2). `literal` ones are constants: without exec pins
 * they read no inputs at all (§4.3 step 4). Drawn with exec pins, the logic runs as a step.
 */
export interface PureDefinition {
  type: string;
  kind: 'pure' | 'literal';
  logic: PureLogic;
}

/** Visual function nodes and variable writers: run in-process and persist their own output (§4.6.1–4.6.2). */
export interface ExecDefinition {
  type: string;
  kind: 'visual' | 'var';
  step: StepHandler;
  /** Ends the run even inside a control block (`on_flow_end`, §4.7). */
  endsRun?: true;
}

/** Scheduler nodes (§4.7). */
export interface SchedulerDefinition {
  type: string;
  kind: 'sched';
  step: StepHandler;
  /** The exec output handles it may have, each kept in `control.targets` (§4.3 step 8). */
  exits?: RegExp;
  /** The compiler records its incoming exec routes (`join_exec`). */
  routes?: true;
}

/** Nodes that issue an effect; their output pins come from its outcome (§4.6.3). */
export interface EffectDefinition {
  type: string;
  kind: 'effect' | 'agent';
  step: StepHandler;
  /** Type of the effect `step` issues (spec §5 "effect `<type>`"). */
  effect: string;
  outputs: OutputMapper;
}

/** Known types this runtime rejects at compile time (code nodes, §5.15). */
export interface UnsupportedDefinition {
  type: string;
  kind: 'unsupported';
}

export type NodeDefinition = PureDefinition | ExecDefinition | SchedulerDefinition | EffectDefinition | UnsupportedDefinition;

/** Effect nodes fail the run when building the effect throws (§4.11), and read their output from `_temp.effects`. */
export const isEffectNode = (def: NodeDefinition): def is EffectDefinition => def.kind === 'effect' || def.kind === 'agent';

/** Pure definitions for a table of node-library logic. */
export const pureNodes = (logic: Record<string, PureLogic>, kind: PureDefinition['kind'] = 'pure'): PureDefinition[] =>
  Object.entries(logic).map(([type, fn]) => ({ type, kind, logic: fn }));
