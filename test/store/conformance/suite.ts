// The backend-independent Store conformance suite. It uses only the contract in
// src/store/types.ts, so every backend (SQLite now, PostgreSQL later) proves itself with the
// same cases by registering in its own test file:
//   storeConformanceSuite({ name: 'sqlite', open: async () => ({ store: openSqliteStore(...), cleanup }) });

import { describe } from 'node:test';

import { artifactCases } from './artifacts.js';
import { caseRunner, type StoreBackend } from './backend.js';
import { commandCases } from './commands.js';
import { leaseCases } from './leases.js';
import { ledgerCases } from './ledger.js';
import { notifierCases } from './notifier.js';
import { queryCases } from './queries.js';
import { runCases } from './runs.js';
import { scopeCases } from './scopes.js';
import { transactionCases } from './transactions.js';
import { userCases } from './users.js';

export type { OpenedStore, StoreBackend } from './backend.js';

export function storeConformanceSuite(backend: StoreBackend): void {
  const cases = caseRunner(backend);
  describe(`Store conformance: ${backend.name}`, () => {
    for (const register of [scopeCases, runCases, leaseCases, ledgerCases, transactionCases, commandCases, queryCases, notifierCases, artifactCases, userCases]) {
      register(cases);
    }
  });
}
