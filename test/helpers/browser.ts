// Real headless Chromium for browser tests: Debian's /usr/bin/chromium driven by playwright-core
// (never a downloaded browser), plus a one-page static server to give a test page its own origin.

import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install the Debian package (apt-get install -y chromium) or set CHROMIUM_PATH`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

export interface StaticPage {
  /** http://127.0.0.1:<port> — the page's origin. */
  origin: string;
  close(): Promise<void>;
}

/** Serves `html` at every path from its own 127.0.0.1 port (so its origin differs from the gateway's). */
export async function serveHtml(html: string): Promise<StaticPage> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(html);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

export interface SeenRequest {
  method: string;
  path: string;
  status: number;
  origin?: string;
  /** Access-Control-Request-Headers of a preflight. */
  requestHeaders?: string;
}

/** Records every request a Node HTTP server answers (method, path, final status) without touching the app. */
export function recordRequests(server: Server): SeenRequest[] {
  const seen: SeenRequest[] = [];
  server.prependListener('request', (req: IncomingMessage, res) => {
    const entry = { method: req.method ?? '', path: req.url ?? '' } as SeenRequest;
    // The status once headers are out (an SSE response is 200 long before it finishes).
    Object.defineProperty(entry, 'status', { enumerable: true, get: () => (res.headersSent ? res.statusCode : 0) });
    if (req.headers.origin) entry.origin = req.headers.origin;
    const acrh = req.headers['access-control-request-headers'];
    if (acrh) entry.requestHeaders = acrh;
    seen.push(entry);
  });
  return seen;
}
