// A provider registry for tests: short backoff, generous timeouts, providers added by hand.

import type { ProviderConnection } from '../../src/config/providers.js';
import { ProviderRegistry, type RegistryOptions } from '../../src/providers/registry.js';
import type { LlmProvider } from '../../src/providers/types.js';

export function testRegistry(over: Partial<RegistryOptions> = {}): ProviderRegistry {
  return new ProviderRegistry({ timeoutMs: 10_000, maxRetries: 2, concurrency: 4, urlPolicy: 'local', modelsTimeoutMs: 5_000, retryBaseMs: 5, ...over });
}

export function testProvider(connection: Partial<ProviderConnection> & Pick<ProviderConnection, 'family' | 'baseUrl'>, over: Partial<RegistryOptions> = {}): LlmProvider {
  return testRegistry(over).add({ id: connection.family, baseUrlConfigured: true, keyRequired: false, ...connection });
}
