// The OpenAI-compatible client against a scripted server speaking chat completions.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openai, startProviderServer, type ProviderServer } from '../helpers/provider-server.js';
import { testProvider } from './kit.js';

describe('OpenAI-compatible provider', () => {
  let server: ProviderServer;
  before(async () => (server = await startProviderServer()));
  after(() => server.close());

  const provider = () => testProvider({ id: 'lmstudio', family: 'openai', baseUrl: `${server.url}/v1`, apiKey: 'sk-configured' });

  it('sends the request in the Chat Completions shape and normalises the answer', async () => {
    server.reply('POST /v1/chat/completions', openai.text('Hello there', { model: 'served-model' }));
    const r = await provider().chat({
      model: 'm1',
      messages: [
        { role: 'system', content: 'be nice' },
        { role: 'user', content: 'hi' },
      ],
      temperature: 0.2,
      max_output_tokens: 64,
      seed: 42,
    });
    const req = server.requests.at(-1)!;
    assert.equal(req.headers.authorization, 'Bearer sk-configured');
    assert.deepEqual(req.body, {
      model: 'm1',
      messages: [
        { role: 'system', content: 'be nice' },
        { role: 'user', content: 'hi' },
      ],
      stream: false,
      temperature: 0.2,
      max_tokens: 64,
      seed: 42,
    });
    assert.equal(r.content, 'Hello there');
    assert.equal(r.provider, 'lmstudio');
    assert.equal(r.model, 'served-model');
    assert.equal(r.finish_reason, 'stop');
    assert.deepEqual(r.usage, { input_tokens: 11, output_tokens: 7, total_tokens: 18, prompt_tokens: 11, completion_tokens: 7 });
    assert.deepEqual(r.tool_calls, []);
  });

  it('offers tools natively, asks for JSON-schema output, and parses tool calls', async () => {
    server.reply('POST /v1/chat/completions', openai.text('', { calls: [{ id: 'call_a', name: 'read_file', arguments: { file_path: 'a.txt' } }] }));
    const schema = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] };
    const r = await provider().chat({
      model: 'm1',
      messages: [
        { role: 'user', content: 'read it' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_0', name: 'list_files', arguments: {} }] },
        { role: 'tool', tool_call_id: 'call_0', content: 'a.txt' },
      ],
      tools: [{ name: 'read_file', description: 'Read a file', parameters: { type: 'object', properties: { file_path: { type: 'string' } }, required: ['file_path'] } }],
      tool_choice: { name: 'read_file' },
      response_schema: { name: 'LLM_StructuredOutput', schema },
    });
    const body = server.requests.at(-1)!.body;
    assert.deepEqual(body.tools[0], { type: 'function', function: { name: 'read_file', description: 'Read a file', parameters: { type: 'object', properties: { file_path: { type: 'string' } }, required: ['file_path'] } } });
    assert.deepEqual(body.tool_choice, { type: 'function', function: { name: 'read_file' } });
    assert.deepEqual(body.response_format, { type: 'json_schema', json_schema: { name: 'LLM_StructuredOutput', schema } });
    assert.deepEqual(body.messages[1].tool_calls, [{ id: 'call_0', type: 'function', function: { name: 'list_files', arguments: '{}' } }]);
    assert.deepEqual(body.messages[2], { role: 'tool', tool_call_id: 'call_0', content: 'a.txt' });
    assert.deepEqual(r.tool_calls, [{ id: 'call_a', name: 'read_file', arguments: { file_path: 'a.txt' } }]);
    assert.equal(r.finish_reason, 'tool_calls');
  });

  it('streams text deltas to onDelta and assembles tool calls sent in fragments', async () => {
    server.reply('POST /v1/chat/completions', openai.stream(['Hel', 'lo'], { calls: [{ id: 'call_s', name: 'write_file', arguments: { file_path: 'x', content: 'y' } }] }));
    const deltas: string[] = [];
    const r = await provider().chat({ model: 'm1', messages: [{ role: 'user', content: 'go' }], onDelta: (d) => deltas.push(d) });
    const body = server.requests.at(-1)!.body;
    assert.equal(body.stream, true);
    assert.deepEqual(body.stream_options, { include_usage: true });
    assert.deepEqual(deltas, ['Hel', 'lo']);
    assert.equal(r.content, 'Hello');
    assert.deepEqual(r.tool_calls, [{ id: 'call_s', name: 'write_file', arguments: { file_path: 'x', content: 'y' } }]);
    assert.equal(r.finish_reason, 'tool_calls');
    assert.equal(r.usage?.output_tokens, 2);
    assert.equal(r.model, 'scripted-model');
  });

  it('lists models live from GET /models, sorted and de-duplicated', async () => {
    server.reply('GET /v1/models', openai.models(['zeta', 'Alpha', 'zeta', 'beta']));
    assert.deepEqual(await provider().listModels(), ['Alpha', 'beta', 'zeta']);
  });

  it('sends no Authorization header when no key is configured', async () => {
    server.reply('GET /v1/models', openai.models(['m']));
    await testProvider({ id: 'vllm', family: 'openai', baseUrl: `${server.url}/v1` }).listModels();
    assert.equal(server.requests.at(-1)!.headers.authorization, undefined);
  });
});
