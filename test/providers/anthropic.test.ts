// The Anthropic Messages client against a scripted server.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { anthropic, startProviderServer, type ProviderServer } from '../helpers/provider-server.js';
import { testProvider } from './kit.js';

describe('Anthropic provider', () => {
  let server: ProviderServer;
  before(async () => (server = await startProviderServer()));
  after(() => server.close());

  const provider = () => testProvider({ id: 'anthropic', family: 'anthropic', baseUrl: server.url, apiKey: 'sk-ant-configured', keyRequired: true });

  it('sends system apart, merges same-role turns, maps tool turns to tool_use/tool_result blocks', async () => {
    server.reply('POST /v1/messages', anthropic.message('Done.'));
    const r = await provider().chat({
      model: 'claude-x',
      messages: [
        { role: 'system', content: 'rule one' },
        { role: 'system', content: 'rule two' },
        { role: 'user', content: 'a' },
        { role: 'user', content: 'b' },
        { role: 'assistant', content: 'calling', tool_calls: [{ id: 'tu_1', name: 'list_files', arguments: { directory_path: '.' } }] },
        { role: 'tool', tool_call_id: 'tu_1', content: 'x.txt' },
      ],
      temperature: 0.3,
    });
    const req = server.requests.at(-1)!;
    assert.equal(req.headers['x-api-key'], 'sk-ant-configured');
    assert.equal(req.headers['anthropic-version'], '2023-06-01');
    assert.equal(req.headers.authorization, undefined);
    assert.deepEqual(req.body, {
      model: 'claude-x',
      max_tokens: 4096,
      stream: false,
      system: 'rule one\n\nrule two',
      temperature: 0.3,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'calling' }, { type: 'tool_use', id: 'tu_1', name: 'list_files', input: { directory_path: '.' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'tu_1', content: 'x.txt' }] },
      ],
    });
    assert.equal(r.content, 'Done.');
    assert.equal(r.finish_reason, 'stop');
    assert.equal(r.model, 'claude-scripted');
    assert.deepEqual(r.usage, { input_tokens: 21, output_tokens: 9, total_tokens: 30, prompt_tokens: 21, completion_tokens: 9 });
  });

  it('offers tools with input_schema and returns tool_use blocks as tool calls', async () => {
    server.reply('POST /v1/messages', anthropic.message('Let me look.', { calls: [{ id: 'tu_9', name: 'read_file', arguments: { file_path: 'a' } }] }));
    const r = await provider().chat({
      model: 'claude-x',
      messages: [{ role: 'user', content: 'read a' }],
      tools: [{ name: 'read_file', parameters: { type: 'object', properties: { file_path: { type: 'string' } } } }],
      tool_choice: 'required',
      max_output_tokens: 100,
    });
    const body = server.requests.at(-1)!.body;
    assert.deepEqual(body.tools, [{ name: 'read_file', description: '', input_schema: { type: 'object', properties: { file_path: { type: 'string' } } } }]);
    assert.deepEqual(body.tool_choice, { type: 'any' });
    assert.equal(body.max_tokens, 100);
    assert.deepEqual(r.tool_calls, [{ id: 'tu_9', name: 'read_file', arguments: { file_path: 'a' } }]);
    assert.equal(r.finish_reason, 'tool_calls');
    assert.equal(r.content, 'Let me look.');
  });

  it('structured output: the schema is a forced tool and its input becomes the JSON content', async () => {
    server.reply('POST /v1/messages', anthropic.message('', { calls: [{ id: 'tu_s', name: 'Answer', arguments: { ok: true, n: 3 } }] }));
    const schema = { type: 'object', properties: { ok: { type: 'boolean' }, n: { type: 'number' } } };
    const r = await provider().chat({ model: 'claude-x', messages: [{ role: 'user', content: 'json please' }], response_schema: { name: 'Answer', schema } });
    const body = server.requests.at(-1)!.body;
    assert.deepEqual(body.tool_choice, { type: 'tool', name: 'Answer' });
    assert.deepEqual(body.tools[0].input_schema, schema);
    assert.deepEqual(JSON.parse(r.content!), { ok: true, n: 3 });
    assert.deepEqual(r.tool_calls, []);
    assert.equal(r.finish_reason, 'stop');
  });

  it('streams text deltas and assembles tool input sent as partial JSON; max_tokens maps to length', async () => {
    server.reply('POST /v1/messages', anthropic.stream(['Hi', ' there'], { calls: [{ id: 'tu_2', name: 'write_file', arguments: { file_path: 'f', content: 'c' } }], stop: 'max_tokens' }));
    const deltas: string[] = [];
    const r = await provider().chat({ model: 'claude-x', messages: [{ role: 'user', content: 'go' }], onDelta: (d) => deltas.push(d) });
    assert.equal(server.requests.at(-1)!.body.stream, true);
    assert.deepEqual(deltas, ['Hi', ' there']);
    assert.equal(r.content, 'Hi there');
    assert.deepEqual(r.tool_calls, [{ id: 'tu_2', name: 'write_file', arguments: { file_path: 'f', content: 'c' } }]);
    assert.equal(r.finish_reason, 'length');
    assert.deepEqual(r.usage, { input_tokens: 13, output_tokens: 17, total_tokens: 30, prompt_tokens: 13, completion_tokens: 17 });
    assert.equal(r.model, 'claude-scripted');
  });

  it('lists models from GET /v1/models (also when the base URL already ends in /v1)', async () => {
    server.reply('GET /v1/models', anthropic.models(['claude-b', 'claude-a']), anthropic.models(['claude-c']));
    assert.deepEqual(await provider().listModels(), ['claude-a', 'claude-b']);
    const withV1 = testProvider({ id: 'anthropic', family: 'anthropic', baseUrl: `${server.url}/v1`, apiKey: 'k' });
    assert.deepEqual(await withV1.listModels(), ['claude-c']);
  });
});
