// Which provider and model a call uses (spec runtime-visualflow §7.1, as ordered by issue 8):
// node config → run input (`vars._runtime`) → the execution host's capability default for text →
// the environment (ABSTRACTGATEWAY_PROVIDER / ABSTRACTGATEWAY_MODEL). There is no built-in model:
// when no layer names one, the call fails with an error that lists the places to set it.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GatewayError } from '../errors.js';

export interface ModelRef {
  provider?: unknown;
  model?: unknown;
}

export type ChoiceSource = 'node' | 'run' | 'capability_defaults' | 'environment';

export interface ModelChoice {
  provider: string;
  model: string;
  /** The layer the provider came from. */
  source: ChoiceSource;
}

export interface ResolutionLayers {
  node?: ModelRef;
  run?: ModelRef;
  capability?: ModelRef;
  environment?: ModelRef;
}

const ORDER: ChoiceSource[] = ['node', 'run', 'capability_defaults', 'environment'];
/** Values the flows use to say "whatever the host's default is" (spec §6.1.2). */
const DEFAULT_ALIASES = new Set(['default', '__default__', '__abstractcore_default__', 'abstractcore.default']);

export const NO_MODEL_CONFIGURED =
  'No LLM provider/model is configured: set provider and model on the node, pass them in the run input (_runtime.provider/_runtime.model), ' +
  'set the output.text capability default, or set ABSTRACTGATEWAY_PROVIDER and ABSTRACTGATEWAY_MODEL';

function text(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  return t && !DEFAULT_ALIASES.has(t.toLowerCase()) ? t : undefined;
}

function layer(layers: ResolutionLayers, source: ChoiceSource): ModelRef | undefined {
  return source === 'capability_defaults' ? layers.capability : layers[source];
}

/**
 * The first layer naming a provider fixes it; the model is the first one found from that layer
 * on, skipping layers that name a different provider (their model belongs to that provider).
 */
export function resolveModel(layers: ResolutionLayers): ModelChoice {
  let provider: string | undefined;
  let source: ChoiceSource | undefined;
  let model: string | undefined;
  for (const s of ORDER) {
    const l = layer(layers, s);
    const p = text(l?.provider)?.toLowerCase();
    const m = text(l?.model);
    if (!provider && p) {
      provider = p;
      source = s;
    }
    if (!model && m && (!p || !provider || p === provider)) model = m;
    if (provider && model) return { provider, model, source: source! };
  }
  if (provider) throw new GatewayError('GW_ERR_NOT_CONFIGURED', `No model is configured for LLM provider '${provider}': set the model next to the provider (node, run input, capability default or ABSTRACTGATEWAY_MODEL)`);
  throw new GatewayError('GW_ERR_NOT_CONFIGURED', NO_MODEL_CONFIGURED);
}

/**
 * Media provider and model (spec discovery-media-kg §9.4): the node's output spec, then the
 * capability route. Unlike text, both may stay unset: the media backend then uses its own default.
 * A route's model is taken only when the node names no provider or the route's own.
 */
export function resolveMediaModel(node: ModelRef, route: ModelRef | undefined): { provider?: string; model?: string } {
  const provider = text(node.provider)?.toLowerCase();
  const routeProvider = text(route?.provider)?.toLowerCase();
  const model = text(node.model) ?? (!provider || provider === routeProvider ? text(route?.model) : undefined);
  return { provider: provider ?? routeProvider, model };
}

/**
 * A route of the execution host's capability defaults in `<dataDir>/config/abstractcore.json`
 * (spec discovery §9.3): the first of `keys` present, e.g. `output.image.text_to_image`, then
 * `output.image`. Read on every call, so a change applies at once.
 */
export async function readCapabilityRoute(dataDir: string, keys: string[]): Promise<ModelRef | undefined> {
  const file = join(dataDir, 'config', 'abstractcore.json');
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let routes: any;
  try {
    routes = JSON.parse(raw)?.capability_defaults?.routes;
  } catch (err) {
    throw new GatewayError('GW_ERR_NOT_CONFIGURED', `${file} is not valid JSON (${(err as Error).message})`);
  }
  const route = keys.map((k) => routes?.[k]).find((r) => r && typeof r === 'object');
  return route ? { provider: route.provider, model: route.model } : undefined;
}

/** The text default: `input.text`, where `output.text` is stored too (§9.3). */
export const readTextCapabilityDefault = (dataDir: string): Promise<ModelRef | undefined> => readCapabilityRoute(dataDir, ['input.text', 'output.text']);
