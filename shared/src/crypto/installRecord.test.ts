import { beforeAll, describe, expect, it } from 'vitest';
import { toBase64Url, utf8 } from '../encoding';
import { setupGroup, startChain, type Peer } from './groupFixture.testkit';
import { InstallRecord, MAX_INSTALLED_PER_SENDER, MAX_RECORDED_MEMBERS } from './installRecord';
import { openSenderKey, sealSenderKey } from './keyDistribution';
import { decryptMessage, encryptMessage } from './messageCipher';
import { createMemoryReceiveState, installSenderKey, MAX_CHAINS_PER_SENDER, pruneReceiveState, wipeReceiveState } from './receiveState';
import { initCrypto } from './sodium';
import { codeOf } from './testkit';

beforeAll(initCrypto);

const send = (p: Peer, s: string) => encryptMessage(p.chain, { type: 'chat', ttl: 60 }, utf8(s));
const sealTo = (a: Peer, b: Peer) => sealSenderKey(a.chain, { member: b.id, sessionPk: b.sessionPk }, a.session.keyPair);
const open = (sealed: ReturnType<typeof sealTo>, a: Peer, b: Peer) => openSenderKey(sealed, a.sessionPk, b.session.keyPair, b.id);

/** Two peers; b's receive state has an install record; a's first chain is installed at b. */
function pair() {
  const g = setupGroup(2);
  const [a, b] = g.peers as [Peer, Peer];
  const record = new InstallRecord(g.groupId, g.sessionId);
  b.rx = createMemoryReceiveState(g.groupId, g.sessionId, record);
  const firstSealed = sealTo(a, b);
  expect(installSenderKey(b.rx, open(firstSealed, a, b), 0)).toBe(true);
  return { g, a, b, record, firstSealed };
}

describe('install record', () => {
  it('refuses an evicted chain sent again (KEY_REPLAY): an old message cannot be read twice', () => {
    const { g, a, b, firstSealed, record } = pair();
    const old = send(a, 'I am thinking about ending it');
    expect(decryptMessage(b.rx, g.roster, old, 0).header.counter).toBe(0);
    for (let i = 1; i <= MAX_CHAINS_PER_SENDER; i++) {
      a.chain = startChain(a, g.roster);
      installSenderKey(b.rx, open(sealTo(a, b), a, b), i);
    }
    const firstKeyId = firstSealed.keyId;
    expect(b.rx.getChain(a.id, firstKeyId)).toBeUndefined(); // evicted
    expect(record.floorOf(a.id, firstKeyId)).toBe(1);
    expect(codeOf(() => installSenderKey(b.rx, open(firstSealed, a, b), 10))).toBe('KEY_REPLAY');
    expect(codeOf(() => decryptMessage(b.rx, g.roster, old, 10))).toBe('UNKNOWN_SENDER_KEY');
    // Without the record (today's receive state) the same re-delivery installs the chain and the message reads again.
    const bare = createMemoryReceiveState(g.groupId, g.sessionId);
    installSenderKey(bare, open(firstSealed, a, b), 0);
    expect(decryptMessage(bare, g.roster, old, 0).header.counter).toBe(0);
  });

  it('lets a sender re-seal its current chain after a wipe (a re-entry), at or above the floor only', () => {
    const { g, a, b, firstSealed, record } = pair();
    const m0 = send(a, 'zero');
    decryptMessage(b.rx, g.roster, m0, 0);
    decryptMessage(b.rx, g.roster, send(a, 'one'), 0);
    wipeReceiveState(b.rx);
    expect(record.floorOf(a.id, firstSealed.keyId)).toBe(2);
    // b re-entered with a new state over the same record: the chain as it is now (counter 2) is installed again,
    const rx = createMemoryReceiveState(g.groupId, g.sessionId, record);
    expect(installSenderKey(rx, open(sealTo(a, b), a, b), 0)).toBe(true);
    expect(decryptMessage(rx, g.roster, send(a, 'two'), 0).header.counter).toBe(2);
    // but the first sealed copy (counter 0) is not, in that state or a later one.
    const later = createMemoryReceiveState(g.groupId, g.sessionId, record);
    wipeReceiveState(rx);
    expect(codeOf(() => installSenderKey(later, open(firstSealed, a, b), 0))).toBe('KEY_REPLAY');
    expect(codeOf(() => decryptMessage(later, g.roster, m0, 0))).toBe('UNKNOWN_SENDER_KEY');
  });

  it('retires chains pruned for a departed sender', () => {
    const { g, a, b, firstSealed, record } = pair();
    decryptMessage(b.rx, g.roster, send(a, 'x'), 0);
    pruneReceiveState(b.rx, { ...g.roster, members: g.roster.members.filter((m) => m.id !== a.id) }, 0);
    expect(b.rx.getChain(a.id, firstSealed.keyId)).toBeUndefined();
    expect(record.floorOf(a.id, firstSealed.keyId)).toBe(1);
  });

  it(`refuses new keys beyond ${MAX_INSTALLED_PER_SENDER} per sender (KEY_LIMIT) rather than forgetting`, () => {
    const { g, a, b, record } = pair();
    for (let i = 1; i < MAX_INSTALLED_PER_SENDER; i++) {
      a.chain = startChain(a, g.roster);
      installSenderKey(b.rx, open(sealTo(a, b), a, b), i);
    }
    expect(record.size).toBe(MAX_INSTALLED_PER_SENDER);
    a.chain = startChain(a, g.roster);
    const key = open(sealTo(a, b), a, b);
    expect(codeOf(() => installSenderKey(b.rx, key, 0))).toBe('KEY_LIMIT');
    expect(key.chainKey.every((x) => x === 0)).toBe(true); // wiped
  });

  it('refuses an older session-key generation, or another key of the same generation (KEY_REPLAY)', () => {
    const r = new InstallRecord('g', 's');
    const pk = (n: number) => toBase64Url(new Uint8Array(32).fill(n));
    expect(r.noteSessionKey('m', 5, pk(1))).toBe(true);
    expect(r.noteSessionKey('m', 5, pk(1))).toBe(false);
    expect(codeOf(() => r.noteSessionKey('m', 5, pk(2)))).toBe('KEY_REPLAY');
    expect(codeOf(() => r.noteSessionKey('m', 4, pk(3)))).toBe('KEY_REPLAY');
    expect(r.noteSessionKey('m', 6, pk(4))).toBe(true);
    expect(codeOf(() => r.noteSessionKey('m', 5, pk(1)))).toBe('KEY_REPLAY');
    for (let i = 1; i < MAX_RECORDED_MEMBERS; i++) r.noteSessionKey(`m${i}`, 0, pk(1));
    expect(codeOf(() => r.noteSessionKey('one-too-many', 0, pk(1)))).toBe('KEY_LIMIT');
  });

  it('survives a round trip as plain data (a reloaded tab): floors, retirements and generations hold', () => {
    const { g, a, b, firstSealed, record } = pair();
    record.retire(a.id, firstSealed.keyId, 7);
    record.noteSessionKey(a.id, 9, toBase64Url(a.sessionPk));
    const data = JSON.parse(JSON.stringify(record.toData())) as ReturnType<InstallRecord['toData']>;
    const back = InstallRecord.fromData(g.groupId, g.sessionId, data);
    expect(back.floorOf(a.id, firstSealed.keyId)).toBe(7);
    expect(codeOf(() => back.noteSessionKey(a.id, 8, toBase64Url(a.sessionPk)))).toBe('KEY_REPLAY');
    // The restored record refuses the old sealed key below its floor, as the original does.
    const rx = createMemoryReceiveState(g.groupId, g.sessionId, back);
    expect(codeOf(() => installSenderKey(rx, open(firstSealed, a, b), 0))).toBe('KEY_REPLAY');
    // Data naming one key twice keeps the higher floor; data past the bounds is refused, never trimmed.
    const twice = InstallRecord.fromData('g', 's', { floors: [['m', 'k', 5], ['m', 'k', 2]], generations: [] });
    expect(twice.floorOf('m', 'k')).toBe(5);
    const tooMany = Array.from({ length: MAX_INSTALLED_PER_SENDER + 1 }, (_, i): [string, string, number] => ['m', `k${i}`, 0]);
    expect(codeOf(() => InstallRecord.fromData('g', 's', { floors: tooMany, generations: [] }))).toBe('KEY_LIMIT');
  });
});
