import { beforeAll, describe, expect, it } from 'vitest';
import { utf8 } from '../encoding';
import { openSenderKey, sealSenderKey } from './keyDistribution';
import { decryptMessage, encryptMessage } from './messageCipher';
import {
  MAX_CHAINS_PER_SENDER,
  PREVIOUS_EPOCH_GRACE_MS,
  SKIPPED_KEY_LIFETIME_MS,
  installSenderKey,
  noteRoster,
  pruneReceiveState,
} from './receiveState';
import { initCrypto } from './sodium';
import { id16, nextRoster, setupGroup, startChain, type Peer } from './groupFixture.testkit';
import { codeOf } from './testkit';

beforeAll(initCrypto);

const send = (p: Peer, s: string) => encryptMessage(p.chain, { type: 'chat', ttl: 60 }, utf8(s));

describe('receive state', () => {
  it('ignores a re-delivered sender key: an old sealed copy cannot rewind the chain and re-open used counters', () => {
    const g = setupGroup(2);
    const [a, b] = g.peers as [Peer, Peer];
    const early = sealSenderKey(a.chain, { member: b.id, sessionPk: b.sessionPk }, a.session.keyPair); // at counter 0
    const m0 = send(a, 'once');
    decryptMessage(b.rx, g.roster, m0, 0);
    expect(installSenderKey(b.rx, openSenderKey(early, a.sessionPk, b.session.keyPair, b.id), 0)).toBe(false);
    expect(codeOf(() => decryptMessage(b.rx, g.roster, m0, 0))).toBe('REPLAY');
  });

  it('refuses a key of another group or session (WRONG_SESSION)', () => {
    const g = setupGroup(2);
    const [a, b] = g.peers as [Peer, Peer];
    const key = openSenderKey(sealSenderKey(a.chain, { member: b.id, sessionPk: b.sessionPk }, a.session.keyPair), a.sessionPk, b.session.keyPair, b.id);
    expect(codeOf(() => installSenderKey({ ...b.rx, sessionId: id16() }, key, 0))).toBe('WRONG_SESSION');
  });

  it('keeps at most MAX_CHAINS_PER_SENDER chains per sender, erasing the oldest', () => {
    const g = setupGroup(2);
    const [a, b] = g.peers as [Peer, Peer];
    const first = b.rx.getChain(a.id, a.chain.keyId)!;
    for (let i = 1; i <= MAX_CHAINS_PER_SENDER; i++) {
      a.chain = startChain(a, g.roster);
      const k = openSenderKey(sealSenderKey(a.chain, { member: b.id, sessionPk: b.sessionPk }, a.session.keyPair), a.sessionPk, b.session.keyPair, b.id);
      installSenderKey(b.rx, k, i);
    }
    expect([...b.rx.chains()].filter((c) => c.sender === a.id)).toHaveLength(MAX_CHAINS_PER_SENDER);
    expect(b.rx.getChain(a.id, first.keyId)).toBeUndefined();
    expect(first.chainKey.every((x) => x === 0)).toBe(true);
  });

  it('prunes expired skipped keys, chains of departed senders and ended epochs after the grace', () => {
    const g = setupGroup(3);
    const [f, a, b] = g.peers as [Peer, Peer, Peer];
    send(a, 'lost');
    decryptMessage(b.rx, g.roster, send(a, 'arrived'), 0);
    const chain = b.rx.getChain(a.id, a.chain.keyId)!;
    const skippedKey = chain.skipped.get(0)!.messageKey;
    pruneReceiveState(b.rx, g.roster, SKIPPED_KEY_LIFETIME_MS);
    expect(chain.skipped.size).toBe(1);
    pruneReceiveState(b.rx, g.roster, SKIPPED_KEY_LIFETIME_MS + 1);
    expect(chain.skipped.size).toBe(0);
    expect(skippedKey.every((x) => x === 0)).toBe(true);

    const without = nextRoster(g.roster, g.roster.members.filter((m) => m.id !== a.id), true);
    noteRoster(b.rx, without, 1_000_000);
    pruneReceiveState(b.rx, without, 1_000_000);
    expect(b.rx.getChain(a.id, a.chain.keyId)).toBeUndefined();
    expect(b.rx.getChain(f.id, f.chain.keyId)).toBeDefined(); // previous epoch, within grace
    pruneReceiveState(b.rx, without, 1_000_001 + PREVIOUS_EPOCH_GRACE_MS);
    expect(b.rx.getChain(f.id, f.chain.keyId)).toBeUndefined();
  });

  it('wipes every key and forgets everything', () => {
    const g = setupGroup(3);
    const [, , b] = g.peers as [Peer, Peer, Peer];
    const chains = [...b.rx.chains()];
    expect(chains).toHaveLength(2);
    noteRoster(b.rx, g.roster, 0);
    b.rx.wipe();
    expect(chains.every((c) => c.chainKey.every((x) => x === 0))).toBe(true);
    expect([...b.rx.chains()]).toHaveLength(0);
    expect(b.rx.getRekeyMark()).toBeUndefined();
  });
});
