/**
 * The canary scan: plaintext strings the clients exchanged must appear nowhere the relay can see: its database
 * files, its log lines, every packet it sent and every packet it received. Each canary is searched as UTF-8 text
 * and as base64url at the three byte alignments (an encoded-but-not-encrypted leak would hide from a text search).
 */
import { toBase64Url } from '@kindred/shared/encoding';
import type { RelayUnderTest } from './relayUnderTest';

/** The forms under which `canary` would show up if it leaked unencrypted. */
export function canaryForms(canary: string): string[] {
  const bytes = Buffer.from(canary, 'utf8');
  const forms = [canary];
  for (let offset = 0; offset < 3; offset++) {
    // Drop the first and last encoded characters, which depend on the neighbouring bytes.
    const encoded = toBase64Url(new Uint8Array(bytes.subarray(offset)));
    if (encoded.length > 8) forms.push(encoded.slice(1, -2));
  }
  return forms;
}

/** Where each canary was found ("name in place"); empty when nothing leaked. */
export function canaryHits(relay: RelayUnderTest, canaries: Record<string, string>, extra: Record<string, string> = {}): string[] {
  const places: Record<string, Buffer> = {
    database: relay.diskBytes(),
    logs: Buffer.from(relay.logs.join('\n'), 'utf8'),
    'packets sent': Buffer.from(relay.tap.sent.join('\n'), 'utf8'),
    'packets received': Buffer.from(relay.tap.received.join('\n'), 'utf8'),
  };
  for (const [k, v] of Object.entries(extra)) places[k] = Buffer.from(v, 'utf8');
  const hits: string[] = [];
  for (const [name, canary] of Object.entries(canaries)) {
    for (const form of canaryForms(canary)) {
      for (const [place, bytes] of Object.entries(places)) if (bytes.includes(Buffer.from(form, 'utf8'))) hits.push(`${name} in ${place}`);
    }
  }
  return hits;
}

/** The scan must be able to fail: the ids the relay has to handle ARE found in what it sent. */
export function scanSees(relay: RelayUnderTest, id: string): boolean {
  return relay.tap.sent.some((p) => p.includes(id)) && relay.logs.length > 0;
}
