// How a Store backend takes part in the conformance suite. A backend registers itself with one
// line in its own test file:
//   storeConformanceSuite({ name: 'postgres', open: async () => ({ store: await openPg(...), cleanup: dropSchema }) });

import type { RuntimeStore, Store } from '../../../src/store/types.js';

export interface OpenedStore {
  store: Store;
  /** Releases what the backend set up for this store (temp dir, database schema); runs after store.close(). */
  cleanup(): Promise<void>;
}

export interface StoreBackend {
  name: string;
  /** A fresh, empty store: every case gets its own. */
  open(): Promise<OpenedStore>;
}

/** Wrappers that turn a case body into a test function with a fresh store, closed and cleaned up afterwards. */
export interface CaseRunner {
  withStore(fn: (store: Store) => Promise<void>): () => Promise<void>;
  /** The body gets runtime scope 'rt-a' of a fresh store (and the store itself). */
  withRuntime(fn: (rt: RuntimeStore, store: Store) => Promise<void>): () => Promise<void>;
}

export function caseRunner(backend: StoreBackend): CaseRunner {
  const withStore = (fn: (store: Store) => Promise<void>) => async () => {
    const { store, cleanup } = await backend.open();
    try {
      await fn(store);
    } finally {
      try {
        await store.close();
      } finally {
        await cleanup();
      }
    }
  };
  return {
    withStore,
    withRuntime: (fn) => withStore((store) => fn(store.scope('rt-a'), store)),
  };
}
