import { beforeAll, describe, expect, it } from 'vitest';
import { initCrypto } from '@kindred/shared/crypto';
import { planRooms } from './roomPlan';
import { nodeOf, RelayTarget } from './targets';
import type { StatsSource } from './serverProcess';

beforeAll(async () => {
  await initCrypto();
});

describe('nodeOf', () => {
  it('spreads the members of a room over the nodes in turn, the creator on the first', () => {
    const [plan] = planRooms(1, 5);
    expect(plan!.members.map((m) => nodeOf(plan!, m, 2))).toEqual([0, 1, 0, 1, 0]);
    expect(plan!.members.map((m) => nodeOf(plan!, m, 1))).toEqual([0, 0, 0, 0, 0]);
  });

  it('refuses a member of another room', () => {
    const [a, b] = planRooms(2, 2);
    expect(() => nodeOf(a!, b!.members[1]!, 2)).toThrow('not in the room plan');
  });
});

describe('RelayTarget', () => {
  it('needs at least one node', () => {
    const server: StatsSource = { stats: () => Promise.reject(new Error('unused')) };
    expect(() => new RelayTarget('relay-2n', server, [])).toThrow('at least one node');
  });
});
