// Egress policy for base URLs a client chose (spec security §8 W1). A server-configured provider
// URL is the operator's choice and is trusted; a base_url from a discovery query, a run input or a
// node config is checked twice: its literal host here, and every address its name resolves to at
// connect time (guardedLookup), so a DNS name cannot smuggle a metadata address past the check.
// Loopback and private networks stay reachable under the default `local` policy because LM Studio,
// Ollama and vLLM on 127.0.0.1 are the normal case; `public` refuses them too (hosted gateways).

import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import type { ProviderUrlPolicy } from '../config/providers.js';
import { GatewayError } from '../errors.js';

/** Link-local and cloud metadata: never reachable by a client-chosen URL unless the policy is `any`. */
const METADATA = new BlockList();
METADATA.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local, AWS/GCP/Azure metadata 169.254.169.254
METADATA.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud metadata
METADATA.addSubnet('0.0.0.0', 8, 'ipv4');
METADATA.addSubnet('fe80::', 10, 'ipv6');
METADATA.addAddress('fd00:ec2::254', 'ipv6'); // AWS IMDS over IPv6
METADATA.addAddress('::', 'ipv6');

/** Loopback and private ranges: refused only under the `public` policy. */
const PRIVATE = new BlockList();
PRIVATE.addSubnet('127.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('10.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('172.16.0.0', 12, 'ipv4');
PRIVATE.addSubnet('192.168.0.0', 16, 'ipv4');
PRIVATE.addSubnet('100.64.0.0', 10, 'ipv4');
PRIVATE.addAddress('::1', 'ipv6');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');

const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'metadata.azure.internal', 'instance-data', 'instance-data.ec2.internal']);

const refused = (url: string, why: string) =>
  new GatewayError('GW_ERR_FORBIDDEN', `Provider base_url '${url}' is refused: ${why} (ABSTRACTGATEWAY_PROVIDER_URL_POLICY)`);

/** The reason an address is refused under `policy`, or undefined. IPv4-mapped IPv6 counts as IPv4. */
export function blockedAddress(address: string, policy: ProviderUrlPolicy): string | undefined {
  if (policy === 'any') return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const ip = mapped ?? address;
  const type = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
  if (METADATA.check(ip, type)) return `${address} is a link-local or cloud-metadata address`;
  if (policy === 'public' && PRIVATE.check(ip, type)) return `${address} is a loopback or private address`;
  return undefined;
}

/** Whether two base URLs name the same endpoint (trailing slashes aside): the configured one keeps its key. */
export function sameUrl(a: string, b: string): boolean {
  try {
    return new URL(a).href.replace(/\/+$/, '') === new URL(b).href.replace(/\/+$/, '');
  } catch {
    return false;
  }
}

/** Parse and check a client-chosen base URL; returns it without trailing slashes. */
export function checkClientBaseUrl(raw: string, policy: ProviderUrlPolicy): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new GatewayError('GW_ERR_INVALID', `base_url '${raw}' is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new GatewayError('GW_ERR_INVALID', `base_url '${raw}' must use http or https`);
  if (url.username || url.password) throw new GatewayError('GW_ERR_INVALID', 'base_url must not carry credentials');
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '');
  if (policy !== 'any' && METADATA_NAMES.has(host)) throw refused(raw, `${host} is a cloud-metadata host`);
  if (policy === 'public' && (host === 'localhost' || host.endsWith('.localhost'))) throw refused(raw, `${host} is a loopback name`);
  if (isIP(host)) {
    const why = blockedAddress(host, policy);
    if (why) throw refused(raw, why);
  }
  return url.href.replace(/\/+$/, '');
}

/** A dns lookup for http.request that refuses names resolving to a blocked address. */
export function guardedLookup(policy: ProviderUrlPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const bad = addresses.map((a) => blockedAddress(a.address, policy)).find((w) => w);
      if (bad) return callback(refused(hostname, bad) as unknown as NodeJS.ErrnoException, '', 0);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}
