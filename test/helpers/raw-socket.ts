// Raw TCP clients for connection-level tests: send exactly the bytes a misbehaving client would
// (half a request line, a stalled body, nothing at all) and observe what the server answers and
// when it closes the socket.

import net from 'node:net';

export interface RawClient {
  socket: net.Socket;
  /** Everything received so far. */
  received(): string;
  /** Resolves with everything received once the server (or the client) has closed the socket. */
  closed: Promise<string>;
  /** Resolves once `received()` contains `text`; rejects if the socket closes first. */
  receivedText(text: string): Promise<string>;
}

/** Connects to the server behind `url` and resolves once connected, after writing `initial`. */
export function rawConnect(url: string, initial?: string): Promise<RawClient> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let data = '';
    const waiters: Array<() => void> = [];
    const socket = net.connect(Number(port), hostname);
    socket.on('data', (d) => {
      data += String(d);
      for (const w of [...waiters]) w();
    });
    socket.on('error', () => undefined); // a reset is one way of being closed
    const closed = new Promise<string>((r) =>
      socket.once('close', () => {
        r(data);
        for (const w of [...waiters]) w();
      }),
    );
    socket.once('connect', () => {
      if (initial !== undefined) socket.write(initial);
      resolve({
        socket,
        received: () => data,
        closed,
        receivedText(text) {
          return new Promise<string>((res, rej) => {
            const check = () => {
              if (data.includes(text)) {
                waiters.splice(waiters.indexOf(check), 1);
                res(data);
              } else if (socket.destroyed) {
                waiters.splice(waiters.indexOf(check), 1);
                rej(new Error(`socket closed before '${text}' arrived; got: ${JSON.stringify(data.slice(0, 300))}`));
              }
            };
            waiters.push(check);
            check();
          });
        },
      });
    });
    socket.once('error', reject);
  });
}

/** Status line and parsed JSON body of the first HTTP response in `raw`. */
export function firstResponse(raw: string): { status: number; headers: string; body: unknown } {
  const [head, ...rest] = raw.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head!)?.[1]);
  const length = Number(/\r\ncontent-length: (\d+)/i.exec(head!)?.[1] ?? NaN);
  const text = rest.join('\r\n\r\n');
  return { status, headers: head!, body: JSON.parse(Number.isNaN(length) ? text : text.slice(0, length)) };
}
