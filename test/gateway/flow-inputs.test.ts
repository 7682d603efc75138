// Input-schema derivation from on_flow_start (spec core-api §2.5) on hand-written flows.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { entrypointInputs, flowInputSchema, nodeIndex, pinTypeSchema } from '../../src/gateway/flow-inputs.js';

const ARTIFACT_REF = {
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
};

describe('pin type → JSON-Schema fragment', () => {
  it('maps scalar families case-insensitively and keeps the original type', () => {
    assert.deepEqual(pinTypeSchema('Provider_Image'), { type: 'string', 'x-abstract-type': 'Provider_Image' });
    assert.deepEqual(pinTypeSchema('workspace_folder'), { type: 'string', 'x-abstract-type': 'workspace_folder' });
    assert.deepEqual(pinTypeSchema('double'), { type: 'number', 'x-abstract-type': 'double' });
    assert.deepEqual(pinTypeSchema('int'), { type: 'integer', 'x-abstract-type': 'int' });
    assert.deepEqual(pinTypeSchema('bool'), { type: 'boolean', 'x-abstract-type': 'bool' });
    assert.deepEqual(pinTypeSchema('list'), { type: 'array', 'x-abstract-type': 'list' });
    assert.deepEqual(pinTypeSchema('json'), { type: 'object', 'x-abstract-type': 'json' });
    assert.deepEqual(pinTypeSchema('tools'), { 'x-abstract-type': 'tools' });
    assert.deepEqual(pinTypeSchema(''), {});
  });

  it('maps artifact pins to ArtifactRef, with the modality on arrays and items', () => {
    assert.deepEqual(pinTypeSchema('artifact'), { ...ARTIFACT_REF, 'x-abstract-type': 'artifact' });
    assert.deepEqual(pinTypeSchema('artifact_image'), { ...ARTIFACT_REF, 'x-abstract-artifact-modality': 'image', 'x-abstract-type': 'artifact_image' });
    assert.deepEqual(pinTypeSchema('artifacts'), { type: 'array', items: ARTIFACT_REF, 'x-abstract-type': 'artifacts' });
    assert.deepEqual(pinTypeSchema('artifacts_audio'), {
      type: 'array',
      'x-abstract-artifact-modality': 'audio',
      items: { ...ARTIFACT_REF, 'x-abstract-artifact-modality': 'audio' },
      'x-abstract-type': 'artifacts_audio',
    });
    assert.deepEqual(pinTypeSchema('artifact_pdf'), { 'x-abstract-type': 'artifact_pdf' });
  });
});

describe('entrypoint inputs and input schema', () => {
  const flow = {
    nodes: [
      { id: 'x', type: 'answer_user', data: { nodeType: 'answer_user', label: ' Say ' } },
      {
        id: 'start',
        type: 'on_flow_start',
        data: {
          nodeType: 'on_flow_start',
          headerColor: ' ',
          outputs: [
            { id: 'exec-out', type: 'execution' },
            { id: 'go', label: 'Go', type: 'string' },
            { id: 'doc', type: 'artifact_text', schema: { description: 'the input' } },
            { id: 'n', label: 'n', type: 'integer' },
            { id: 'untyped' },
            { label: 'no id', type: 'string' },
            'junk',
          ],
          pinDefaults: { n: 3, other: 1 },
        },
      },
    ],
  };

  it('lists non-execution output pins with labels, own schema and defaults', () => {
    assert.deepEqual(entrypointInputs(flow), [
      { id: 'go', label: 'Go', type: 'string' },
      { id: 'doc', label: 'doc', type: 'artifact_text', schema: { description: 'the input' } },
      { id: 'n', label: 'n', type: 'integer', default: 3 },
      { id: 'untyped', label: 'untyped', type: 'unknown' },
    ]);
    assert.deepEqual(entrypointInputs({ nodes: [] }), []);
    assert.deepEqual(entrypointInputs('not a flow'), []);
  });

  it('builds properties, required, defaults and per-pin schema', () => {
    const s = flowInputSchema(flow);
    assert.deepEqual(s.input_data_schema.required, ['go', 'doc', 'untyped']);
    assert.deepEqual(s.defaults, { n: 3 });
    assert.deepEqual(s.input_data_schema.properties.go, { type: 'string', 'x-abstract-type': 'string', title: 'Go' });
    assert.equal(s.input_data_schema.properties.doc.description, 'the input');
    assert.equal(s.input_data_schema.properties.doc['x-abstract-artifact-modality'], 'text');
    assert.deepEqual(s.input_data_schema.properties.untyped, { 'x-abstract-type': 'unknown' });
    assert.deepEqual(s.inputs[2], { id: 'n', label: 'n', type: 'integer', default: 3, required: false, schema: { type: 'integer', 'x-abstract-type': 'integer', default: 3 } });
    assert.equal('required' in flowInputSchema({ nodes: [] }).input_data_schema, false);
  });

  it('indexes nodes by id with type, trimmed label and a non-blank header color', () => {
    assert.deepEqual(nodeIndex(flow), {
      x: { type: 'answer_user', label: 'Say' },
      start: { type: 'on_flow_start', label: 'start' },
    });
  });
});
