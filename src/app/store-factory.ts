// The store backend named by ABSTRACTGATEWAY_STORE_BACKEND, with the notifier that carries its
// wake-up hints. Adding a backend is one case here plus its folder under src/store/.

import type { Config } from '../config/config.js';
import type { Clock } from '../model/time.js';
import { LocalNotifier } from '../store/notifier.js';
import { openSqliteStore } from '../store/sqlite/store.js';
import type { Store } from '../store/types.js';

export async function openStore(config: Config, clock: Clock): Promise<Store> {
  switch (config.storeBackend) {
    case 'sqlite':
      return openSqliteStore({ dataDir: config.dataDir, dbPath: config.dbPath, notifier: new LocalNotifier(), clock });
  }
}
