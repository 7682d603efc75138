// GET /discovery/tools over a real socket: the ToolSpecs the gateway executes and its tool mode
// (spec discovery-media-kg §2.7).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/http.js';
import { loadConfig, ConfigError } from '../../src/config/config.js';

describe('GET /discovery/tools', () => {
  it('lists the built-in ToolSpecs and the default tool mode', async () => {
    const s = await startServer();
    try {
      const res = await s.api('/api/gateway/discovery/tools');
      assert.equal(res.status, 200);
      const body = (await res.json()) as any;
      assert.equal(body.tool_mode, 'approval');
      const names = body.items.map((t: any) => t.name);
      assert.deepEqual(names, ['list_files', 'skim_folders', 'search_files', 'read_file', 'write_file', 'execute_command', 'open_attachment']);
      const write = body.items.find((t: any) => t.name === 'write_file');
      assert.deepEqual(write.required_args, ['file_path', 'content']);
      assert.deepEqual(write.parameters.mode, { type: 'string', description: '"w" to replace the file, "a" to append', default: 'w' });
      assert.equal(body.items.find((t: any) => t.name === 'execute_command').toolset, 'system');
      for (const t of body.items) assert.ok(t.description && t.parameters && Array.isArray(t.required_args), t.name);
      assert.ok(!names.includes('web_search') && !names.includes('fetch_url'), 'web tools are off unless configured');
    } finally {
      await s.close();
    }
  });

  it('reports the configured mode, aliases folded to their canonical name', async () => {
    const s = await startServer({ env: { ABSTRACTGATEWAY_TOOL_MODE: 'Delegate' } });
    try {
      assert.equal(((await (await s.api('/api/gateway/discovery/tools')).json()) as any).tool_mode, 'delegated');
    } finally {
      await s.close();
    }
  });

  it('an unknown ABSTRACTGATEWAY_TOOL_MODE stops the start with a clear message', () => {
    assert.throws(() => loadConfig({ ABSTRACTGATEWAY_TOOL_MODE: 'yolo' }), (e) => e instanceof ConfigError && /ABSTRACTGATEWAY_TOOL_MODE must be one of approval\|/.test(e.message));
    assert.throws(() => loadConfig({ ABSTRACTGATEWAY_TOOL_MODE: 'constructor' }), ConfigError);
  });
});
