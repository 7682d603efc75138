// A runner process for the crash test of outside-world effects: like `abstractgateway runner`,
// plus an `llm_call` handler that takes a little time and logs every execution to a file, so
// the test can count how often each effect really ran.

import { appendFileSync } from 'node:fs';
import { loadConfig } from '../../src/config/config.js';
import { Gateway } from '../../src/app/gateway.js';

const log = process.env.EFFECT_LOG!;
const gateway = await Gateway.open(loadConfig(process.env, { runner: true }), {
  effects: {
    llm_call: {
      mode: 'external',
      async run(call) {
        appendFileSync(log, `${call.run.run_id} ${call.idempotency_key}\n`);
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 60));
        return { status: 'completed', result: { content: `echo ${call.effect.payload.prompt}`, finish_reason: 'stop' } };
      },
    },
  },
});
gateway.start();
process.once('SIGTERM', () => void gateway.close().then(() => process.exit(0)));
