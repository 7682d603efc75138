// Client address for lockout, rate limit and the loopback dev switch (spec security §1.6).

import type { Socket } from 'node:net';
import type { FastifyRequest } from 'fastify';

/** Node reports IPv4 peers of a dual-stack socket as ::ffff:a.b.c.d. */
const unmap = (ip: string): string => (ip.toLowerCase().startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip);

export function clientIp(req: FastifyRequest, trustProxy: boolean): string {
  if (trustProxy) {
    const xff = req.headers['x-forwarded-for'];
    const first = (Array.isArray(xff) ? xff[0] : xff)?.split(',')[0]?.trim();
    if (first) return unmap(first);
  }
  return peerAddress(req.raw.socket);
}

/** The socket's peer address (what the per-address connection cap counts). */
export function peerAddress(socket: Socket): string {
  const peer = socket.remoteAddress;
  return peer ? unmap(peer) : 'unknown';
}

export function isLoopback(ip: string): boolean {
  const h = unmap(ip.trim().toLowerCase());
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
