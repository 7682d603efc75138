// GET /discovery/tools (spec discovery-media-kg §2.7): the ToolSpecs this gateway really
// executes and the tool policy of the caller's runtime. Clients (AbstractObserver) build tool
// allowlists from it, so only working tools are listed.

import { DEFAULT_TOOL_SPECS } from '../../tools/index.js';
import type { GatewayApp } from '../types.js';

export async function discoveryToolRoutes(app: GatewayApp): Promise<void> {
  app.get('/discovery/tools', { schema: { tags: ['discovery'], summary: 'Tools available to agents, and the tool mode' } }, async (req) => ({
    items: DEFAULT_TOOL_SPECS,
    tool_mode: req.plane.runtime.toolMode,
  }));
}
