// A runner process for the crash test of outside-world effects: like `abstractgateway runner`,
// plus an `llm_call` handler that logs every execution to a file (so the test can count how
// often each effect really ran) and, for the prompt named in HOLD_PROMPT, never returns: that
// effect stays in flight until the test kills this process.

import { appendFileSync } from 'node:fs';
import { loadConfig } from '../../src/config/config.js';
import { Gateway } from '../../src/app/gateway.js';

const log = process.env.EFFECT_LOG!;
const hold = process.env.HOLD_PROMPT;
const gateway = await Gateway.open(loadConfig(process.env, { runner: true }), {
  effects: {
    llm_call: {
      mode: 'external',
      async run(call) {
        appendFileSync(log, `${call.run.run_id} ${call.idempotency_key}\n`);
        if (hold !== undefined && call.effect.payload.prompt === hold) await new Promise(() => undefined); // until SIGKILL
        return { status: 'completed', result: { content: `echo ${call.effect.payload.prompt}`, finish_reason: 'stop' } };
      },
    },
  },
});
gateway.start();
process.once('SIGTERM', () => void gateway.close().then(() => process.exit(0)));
