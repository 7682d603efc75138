// The Ollama native client against a scripted server speaking /api/chat and /api/tags.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ollama, startProviderServer, type ProviderServer } from '../helpers/provider-server.js';
import { testProvider } from './kit.js';

describe('Ollama provider', () => {
  let server: ProviderServer;
  before(async () => (server = await startProviderServer()));
  after(() => server.close());

  const provider = () => testProvider({ id: 'ollama', family: 'ollama', baseUrl: server.url });

  it('maps options, tools and the JSON schema format; generates tool-call ids', async () => {
    server.reply('POST /api/chat', ollama.chat('', { calls: [{ name: 'read_file', arguments: { file_path: 'a' } }] }));
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    const r = await provider().chat({
      model: 'llama3',
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 0.1,
      seed: 7,
      max_output_tokens: 50,
      tools: [{ name: 'read_file', description: 'd', parameters: { type: 'object', properties: {} } }],
      response_schema: { name: 'S', schema },
    });
    const body = server.requests.at(-1)!.body;
    assert.deepEqual(body.options, { temperature: 0.1, seed: 7, num_predict: 50 });
    assert.equal(body.stream, false);
    assert.deepEqual(body.format, schema);
    assert.deepEqual(body.tools, [{ type: 'function', function: { name: 'read_file', description: 'd', parameters: { type: 'object', properties: {} } } }]);
    assert.equal(r.tool_calls.length, 1);
    assert.match(r.tool_calls[0]!.id, /^call_[0-9a-f]{16}$/);
    assert.deepEqual({ ...r.tool_calls[0], id: 'x' }, { id: 'x', name: 'read_file', arguments: { file_path: 'a' } });
    assert.equal(r.finish_reason, 'tool_calls');
    assert.deepEqual(r.usage, { input_tokens: 8, output_tokens: 4, total_tokens: 12, prompt_tokens: 8, completion_tokens: 4 });
    assert.equal(r.model, 'llama-scripted');
  });

  it('reports a truncated answer as finish_reason length', async () => {
    server.reply('POST /api/chat', ollama.chat('cut sho', { done_reason: 'length' }));
    const r = await provider().chat({ model: 'llama3', messages: [{ role: 'user', content: 'long' }] });
    assert.equal(r.content, 'cut sho');
    assert.equal(r.finish_reason, 'length');
  });

  it('streams NDJSON deltas to onDelta', async () => {
    server.reply('POST /api/chat', ollama.stream(['a', 'b', 'c']));
    const deltas: string[] = [];
    const r = await provider().chat({ model: 'llama3', messages: [{ role: 'user', content: 'abc' }], onDelta: (d) => deltas.push(d) });
    assert.equal(server.requests.at(-1)!.body.stream, true);
    assert.deepEqual(deltas, ['a', 'b', 'c']);
    assert.equal(r.content, 'abc');
    assert.equal(r.finish_reason, 'stop');
    assert.equal(r.usage?.input_tokens, 6);
  });

  it('an error body from Ollama is an upstream error with its message', async () => {
    server.reply('POST /api/chat', { status: 404, json: { error: "model 'nope' not found" } });
    await assert.rejects(provider().chat({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }), (err: any) => {
      assert.equal(err.code, 'GW_ERR_UPSTREAM');
      assert.match(err.message, /HTTP 404 .*model 'nope' not found/);
      return true;
    });
  });

  it('lists models from /api/tags', async () => {
    server.reply('GET /api/tags', ollama.tags(['qwen3:4b', 'llama3:8b']));
    assert.deepEqual(await provider().listModels(), ['llama3:8b', 'qwen3:4b']);
  });
});
