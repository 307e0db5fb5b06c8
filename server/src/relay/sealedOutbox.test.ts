import { describe, expect, it } from 'vitest';
import { MAX_SEALED_PER_PUSH, type SealedSenderKey } from '@kindred/shared/protocol';
import { SealedOutbox } from './sealedOutbox';

const key = (to: string, i: number): SealedSenderKey => ({ v: 2, groupId: 'g', sessionId: 's', from: `from${i}`, to, keyId: `k${i}`, nonce: 'n', box: 'b' });
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('SealedOutbox', () => {
  it('sends what one turn queued as one push per recipient, cut at MAX_SEALED_PER_PUSH, in order', async () => {
    const pushes: [string, string[]][] = [];
    const outbox = new SealedOutbox((room, sealed) => pushes.push([room, sealed.map((s) => s.keyId)]));
    const many = MAX_SEALED_PER_PUSH * 2 + 5;
    for (let i = 0; i < many; i++) outbox.add('mem:a', key('a', i));
    outbox.add('mem:b', key('b', 0));
    expect(pushes).toEqual([]); // nothing before the turn ends
    await turn();
    expect(pushes.map(([room, ids]) => [room, ids.length])).toEqual([
      ['mem:a', MAX_SEALED_PER_PUSH],
      ['mem:a', MAX_SEALED_PER_PUSH],
      ['mem:a', 5],
      ['mem:b', 1],
    ]);
    expect(pushes.filter(([room]) => room === 'mem:a').flatMap(([, ids]) => ids)).toEqual(Array.from({ length: many }, (_, i) => `k${i}`));
    await turn();
    expect(pushes).toHaveLength(4); // sent once
  });

  it('flush() sends at once (before a message), and the turn then has nothing left to send', async () => {
    const pushes: string[] = [];
    const outbox = new SealedOutbox((room) => pushes.push(room));
    outbox.flush(); // empty: nothing
    outbox.add('mem:a', key('a', 1));
    outbox.flush();
    expect(pushes).toEqual(['mem:a']);
    outbox.add('mem:a', key('a', 2)); // queued after a flush: a new turn is scheduled
    await turn();
    expect(pushes).toEqual(['mem:a', 'mem:a']);
  });
});
