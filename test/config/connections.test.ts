// The connection settings: defaults, the descriptor-derived global cap, and clear refusals.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config/config.js';
import { defaultMaxConnections, loadConnectionConfig } from '../../src/config/connections.js';

describe('connection config', () => {
  it('has safe defaults, the global cap leaving descriptors for the store', () => {
    assert.deepEqual(loadConnectionConfig({}, 20_000), {
      headersTimeoutMs: 15_000,
      requestTimeoutMs: 120_000,
      keepAliveTimeoutMs: 5_000,
      socketIdleTimeoutMs: 300_000,
      maxConnections: 19_744,
      maxConnectionsPerIp: 256,
      perIpExemptLoopback: true,
      shutdownTimeoutMs: 10_000,
    });
    assert.equal(defaultMaxConnections(1024), 768);
    assert.equal(defaultMaxConnections(100), 64);
    assert.equal(defaultMaxConnections(undefined), 16_384);
  });

  it('reads seconds (fractions allowed), 0 where it means "off", and the caps', () => {
    const c = loadConnectionConfig(
      {
        ABSTRACTGATEWAY_HEADERS_TIMEOUT_S: '0.25',
        ABSTRACTGATEWAY_REQUEST_TIMEOUT_S: '0',
        ABSTRACTGATEWAY_KEEPALIVE_TIMEOUT_S: '2',
        ABSTRACTGATEWAY_SOCKET_IDLE_TIMEOUT_S: '0',
        ABSTRACTGATEWAY_MAX_CONNECTIONS: '500',
        ABSTRACTGATEWAY_MAX_CONNECTIONS_PER_IP: '0',
        ABSTRACTGATEWAY_MAX_CONNECTIONS_PER_IP_EXEMPT_LOOPBACK: 'no',
        ABSTRACTGATEWAY_SHUTDOWN_TIMEOUT_S: '1.5',
      },
      20_000,
    );
    assert.deepEqual(
      [c.headersTimeoutMs, c.requestTimeoutMs, c.keepAliveTimeoutMs, c.socketIdleTimeoutMs, c.maxConnections, c.maxConnectionsPerIp, c.perIpExemptLoopback, c.shutdownTimeoutMs],
      [250, 0, 2000, 0, 500, 0, false, 1500],
    );
  });

  it('refuses values that cannot work, naming the variable', () => {
    const bad: Array<[Record<string, string>, RegExp]> = [
      [{ ABSTRACTGATEWAY_HEADERS_TIMEOUT_S: '0' }, /ABSTRACTGATEWAY_HEADERS_TIMEOUT_S must be a positive number, got '0'/],
      [{ ABSTRACTGATEWAY_KEEPALIVE_TIMEOUT_S: 'soon' }, /ABSTRACTGATEWAY_KEEPALIVE_TIMEOUT_S/],
      [{ ABSTRACTGATEWAY_MAX_CONNECTIONS: '1.5' }, /ABSTRACTGATEWAY_MAX_CONNECTIONS must be a positive integer/],
      [{ ABSTRACTGATEWAY_MAX_CONNECTIONS_PER_IP: '-1' }, /ABSTRACTGATEWAY_MAX_CONNECTIONS_PER_IP/],
      [{ ABSTRACTGATEWAY_MAX_CONNECTIONS_PER_IP_EXEMPT_LOOPBACK: 'maybe' }, /ABSTRACTGATEWAY_MAX_CONNECTIONS_PER_IP_EXEMPT_LOOPBACK must be a boolean/],
      [{ ABSTRACTGATEWAY_HEADERS_TIMEOUT_S: '30', ABSTRACTGATEWAY_REQUEST_TIMEOUT_S: '10' }, /REQUEST_TIMEOUT_S \(10\) must be at least ABSTRACTGATEWAY_HEADERS_TIMEOUT_S \(30\), or 0/],
    ];
    for (const [env, message] of bad) assert.throws(() => loadConnectionConfig(env, 20_000), (e) => e instanceof ConfigError && message.test(e.message));
  });
});
