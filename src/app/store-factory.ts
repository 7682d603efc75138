// The store backend named by ABSTRACTGATEWAY_STORE_BACKEND, with the notifier that carries its
// wake-up hints. Adding a backend is one case here plus its folder under src/store/.

import type { Config } from '../config/config.js';
import type { Clock } from '../model/time.js';
import { openListenNotifier } from '../store/postgres/listen-notifier.js';
import { openPostgresStore } from '../store/postgres/store.js';
import { openSocketNotifier } from '../store/sqlite/socket-notifier.js';
import { openSqliteStore } from '../store/sqlite/store.js';
import type { Store } from '../store/types.js';

/** `report`: where the store reports failure streaks of its writes (default: stderr). */
export async function openStore(config: Config, clock: Clock, report?: (message: string) => void): Promise<Store> {
  switch (config.storeBackend) {
    case 'sqlite': {
      // Processes sharing the data dir (API + separate runner) wake each other through sockets there.
      const notifier = await openSocketNotifier(config.dataDir);
      try {
        return openSqliteStore({ dataDir: config.dataDir, dbPath: config.dbPath, notifier, clock, maxBytes: config.dbMaxBytes, report });
      } catch (err) {
        await notifier.close();
        throw err;
      }
    }
    case 'postgres': {
      // Every process on the database (API nodes, runners) hears the others through LISTEN/NOTIFY.
      const pg = config.postgres!;
      const notifier = await openListenNotifier({ url: pg.url });
      try {
        return await openPostgresStore({ url: pg.url, poolSize: pg.poolSize, artifactMaxBytes: pg.artifactMaxBytes, notifier, clock, report });
      } catch (err) {
        await notifier.close();
        throw err;
      }
    }
  }
}
