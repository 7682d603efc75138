// What thin clients read off a raw VisualFlow document (spec core-api §2.4, §2.5): the start
// inputs declared by its `on_flow_start` node, their JSON-Schema contract, and a node index
// used to title ledger cards. Best-effort over untrusted JSON: odd shapes yield nothing.

import { isPlainObject } from '../model/json.js';

export interface EntrypointPin {
  id: string;
  label: string;
  type: string;
  schema?: Record<string, unknown>;
  default?: unknown;
}

export type JsonSchema = Record<string, unknown>;

export interface FlowInputSchema {
  version: 1;
  inputs: Array<EntrypointPin & { required: boolean; schema: JsonSchema }>;
  defaults: Record<string, unknown>;
  input_data_schema: { type: 'object'; additionalProperties: true; properties: Record<string, JsonSchema>; required?: string[] };
}

export interface NodeIndexEntry {
  type: string;
  label: string;
  headerColor?: string;
}

/** A trimmed string, or "" for anything that is not a string (or number) — like `str(v or "")`. */
const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : typeof v === 'number' && v !== 0 ? String(v) : '');

const nodesOf = (flow: unknown): Record<string, any>[] =>
  isPlainObject(flow) && Array.isArray(flow.nodes) ? flow.nodes.filter(isPlainObject) : [];

const dataOf = (node: Record<string, any>): Record<string, any> => (isPlainObject(node.data) ? node.data : {});

/** The start inputs: the first `on_flow_start` node's non-execution output pins. */
export function entrypointInputs(flow: unknown): EntrypointPin[] {
  const start = nodesOf(flow).find((n) => text(n.type) === 'on_flow_start' || (text(dataOf(n).nodeType) || text(n.type)) === 'on_flow_start');
  if (!start) return [];
  const data = dataOf(start);
  if (!Array.isArray(data.outputs)) return [];
  const defaults = isPlainObject(data.pinDefaults) ? data.pinDefaults : {};
  const pins: EntrypointPin[] = [];
  for (const p of data.outputs) {
    if (!isPlainObject(p)) continue;
    const id = text(p.id);
    const type = text(p.type);
    if (!id || type === 'execution' || id === 'exec-out' || id === 'exec') continue;
    const pin: EntrypointPin = { id, label: text(p.label) || id, type: type || 'unknown' };
    if (isPlainObject(p.schema)) pin.schema = { ...p.schema };
    if (Object.hasOwn(defaults, id)) pin.default = defaults[id];
    pins.push(pin);
  }
  return pins;
}

const STRING_TYPES = new Set([
  'string', 'str', 'text', 'markdown', 'path', 'file', 'directory', 'workspace_file', 'workspace_folder',
  'provider', 'model', 'provider_text', 'model_text', 'provider_image', 'model_image', 'provider_video',
  'model_video', 'provider_voice', 'model_voice', 'provider_music', 'model_music',
]);
const SCALAR_TYPES: Record<string, string> = {
  number: 'number', float: 'number', double: 'number',
  integer: 'integer', int: 'integer',
  boolean: 'boolean', bool: 'boolean',
  array: 'array', list: 'array',
  object: 'object', dict: 'object', map: 'object', json: 'object',
};
const MODALITIES = ['image', 'audio', 'text', 'video'];

/** A reference to a stored artifact, as accepted in run inputs. */
const artifactRefSchema = (): JsonSchema => ({
  type: 'object',
  additionalProperties: true,
  required: ['$artifact'],
  properties: {
    $artifact: { type: 'string', minLength: 1 },
    artifact_id: { type: 'string' },
    run_id: { type: 'string' },
    artifact_run_id: { type: 'string' },
    content_type: { type: 'string' },
    filename: { type: 'string' },
    source_path: { type: 'string' },
    modality: { type: 'string' },
  },
});

/** `artifact[_<modality>]` / `artifacts[_<modality>]` → {plural, modality}, else undefined. */
function artifactType(t: string): { plural: boolean; modality?: string } | undefined {
  const m = /^(artifacts?)(?:_(.+))?$/.exec(t);
  if (!m || (m[2] !== undefined && !MODALITIES.includes(m[2]))) return undefined;
  return { plural: m[1] === 'artifacts', modality: m[2] };
}

/** JSON-Schema fragment for a pin type (case-insensitive), tagged with the original type. */
export function pinTypeSchema(pinType: string): JsonSchema {
  const raw = pinType.trim();
  const t = raw.toLowerCase();
  let schema: JsonSchema = {};
  const artifact = artifactType(t);
  if (STRING_TYPES.has(t)) schema = { type: 'string' };
  else if (SCALAR_TYPES[t]) schema = { type: SCALAR_TYPES[t] };
  else if (artifact) {
    const tag = artifact.modality ? { 'x-abstract-artifact-modality': artifact.modality } : {};
    schema = artifact.plural ? { type: 'array', ...tag, items: { ...artifactRefSchema(), ...tag } } : { ...artifactRefSchema(), ...tag };
  }
  if (raw) schema['x-abstract-type'] = raw;
  return schema;
}

/** The versioned run-input contract of a flow (GET .../input_schema). */
export function flowInputSchema(flow: unknown): FlowInputSchema {
  // Maps keyed by pin ids from the upload are built with fromEntries: '__proto__' stays a plain key.
  const properties: [string, JsonSchema][] = [];
  const required: string[] = [];
  const defaults: [string, unknown][] = [];
  const inputs = entrypointInputs(flow).map((pin) => {
    const hasDefault = Object.hasOwn(pin, 'default');
    const prop = { ...pinTypeSchema(pin.type), ...pin.schema };
    if (pin.label !== pin.id) prop.title = pin.label;
    if (hasDefault) {
      prop.default = pin.default;
      defaults.push([pin.id, pin.default]);
    } else {
      required.push(pin.id);
    }
    properties.push([pin.id, prop]);
    return { ...pin, required: !hasDefault, schema: { ...prop } };
  });
  return {
    version: 1,
    inputs,
    defaults: Object.fromEntries(defaults),
    input_data_schema: { type: 'object', additionalProperties: true, properties: Object.fromEntries(properties), ...(required.length ? { required } : {}) },
  };
}

/** node id → {type, label, headerColor?} for every node with an id. */
export function nodeIndex(flow: unknown): Record<string, NodeIndexEntry> {
  const out: [string, NodeIndexEntry][] = [];
  for (const node of nodesOf(flow)) {
    const id = text(node.id);
    if (!id) continue;
    const data = dataOf(node);
    const entry: NodeIndexEntry = {
      type: text(data.nodeType) || text(node.type) || 'unknown',
      label: text(data.label) || text(node.label) || id,
    };
    const color = text(data.headerColor) || text(node.headerColor);
    if (color) entry.headerColor = color;
    out.push([id, entry]);
  }
  return Object.fromEntries(out);
}
