/**
 * A bare socket.io-client that speaks the event catalogue without the engine's outbound validation: the fuzzers and
 * the authorization matrix send what a hostile or broken client would. It signs in with a real identity key and
 * builds real signed protocol objects with the protocol core.
 */
import { memberIdOf, signRosterBody, type IdentityKeyPair, type RosterState } from '@kindred/shared/crypto';
import type { RosterEntryBody, RosterOp, SignedRosterEntry } from '@kindred/shared/protocol';
import { TestClient, TestGroup, type AnyAck } from '../../server/src/relay/testHarness';

export { b64, defaultPolicy, dummyCard, type AnyAck } from '../../server/src/relay/testHarness';

/** What a request got: an acknowledgement, or nothing within the bound. */
export type Outcome = { kind: 'ack'; ack: unknown } | { kind: 'timeout' };

/** The relay's test client, with requests bounded in time and a way to send any event with any arguments. */
export class RawClient extends TestClient {
  /** Any event, any arguments; resolves with the acknowledgement or a timeout after `boundMs`. */
  async send(event: string, args: unknown[], boundMs = 5_000): Promise<Outcome> {
    try {
      const ack: unknown = await (this.socket.timeout(boundMs).emitWithAck as (ev: string, ...a: unknown[]) => Promise<unknown>)(event, ...args);
      return { kind: 'ack', ack };
    } catch {
      return { kind: 'timeout' };
    }
  }

  /** Fire and forget: no acknowledgement callback. */
  emitNoAck(event: string, ...args: unknown[]): void {
    (this.socket.emit as (ev: string, ...a: unknown[]) => unknown)(event, ...args);
  }

  override async request(event: string, request: unknown): Promise<AnyAck> {
    const out = await this.send(event, [request]);
    if (out.kind === 'timeout') throw new Error(`${event}: no answer`);
    return out.ack as AnyAck;
  }
}

/**
 * An entry that extends `state` (next epoch, previous hash) signed by ANY key, without the local authority check of
 * signRosterEntry: what a stranger, a removed member or a dishonest relay with a key of its own would craft.
 */
export function forgeEntry(state: RosterState, op: RosterOp, signer: IdentityKeyPair, over: Partial<RosterEntryBody> = {}): SignedRosterEntry {
  return signRosterBody({ v: 1, groupId: state.groupId, epoch: state.epoch + 1, prev: state.head, op, signer: memberIdOf(signer.publicKey), ...over }, signer);
}

/** A group driven through raw clients: the verified state after each appended entry. */
export const RawGroup = TestGroup;
export type RawGroup = TestGroup<RawClient>;
