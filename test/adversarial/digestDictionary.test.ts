/**
 * The digest dictionary (issue 14): the relay sees every acceptance's rules digest in clear (session.enter), and the
 * web UI fills the card from a fixed template (client/src/ui/rulesTemplate.ts), so with the roster it holds (group
 * id, the creator who signs the card, the expiry policy) the only unknown of a fresh card is its name. With an
 * unkeyed digest the relay found the name by hashing guesses offline. Now the digest is keyed by the card's random
 * salt, which travels only inside the encrypted card: none of the relay's guesses matches, while the facilitator,
 * who holds the card, recomputes the digest from the very same fields.
 *
 * On the code before the keyed digest this test fails: the right name's guess hashes to the acceptance's digest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashObject, LABEL, rulesDigest } from '@kindred/shared/crypto';
import { toBase64Url } from '@kindred/shared/encoding';
import type { GroupCardBody, SignedAcceptance } from '@kindred/shared/protocol';
import type { KindredClient } from '@kindred/client/engine';
import { RULES_TEMPLATE } from '../../client/src/ui/rulesTemplate';
import { startRelay, type RelayUnderTest } from '../support/relayUnderTest';
import { closeAll, sessionWith } from '../support/engineClients';

const REAL_NAME = 'Tuesday evening grief circle';
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const TOPICS = ['grief', 'loss', 'addiction', 'recovery', 'anxiety', 'depression', 'carers', 'parents', 'survivors', 'sobriety'];
const SHAPES = (day: string, topic: string): string[] => [`${day} ${topic} circle`, `${day} evening ${topic} circle`, `${day} ${topic} group`, `${topic} support`];

/** A dictionary of likely names, the real one among them. */
function candidateNames(): string[] {
  const names = new Set<string>();
  for (const day of DAYS) for (const topic of TOPICS) for (const n of SHAPES(day, topic)) names.add(n);
  names.add(REAL_NAME);
  return [...names];
}

/** Every digest a relay can compute for a guessed card without its salt: the unkeyed hash, and guessed salts. */
function relayDigests(guess: Omit<GroupCardBody, 'salt'>): string[] {
  const out = [hashObject(LABEL.RULES_DIGEST, guess)];
  for (const salt of [toBase64Url(new Uint8Array(32)), toBase64Url(new Uint8Array(32).fill(0xff))]) {
    try {
      out.push(rulesDigest({ ...guess, salt } as GroupCardBody));
    } catch {
      // a build whose digest takes no salt refuses the extra field: the unkeyed hash above is its digest
    }
  }
  return out;
}

describe('a dishonest relay guessing the card behind a rules digest', () => {
  let relay: RelayUnderTest;
  let clients: KindredClient[] = [];

  beforeAll(async () => {
    relay = await startRelay();
  });
  afterAll(async () => {
    closeAll(clients);
    await relay?.close();
  });

  it('tries the template card with a list of names: none matches the acceptance it holds', async () => {
    const s = await sessionWith(relay, 1, { card: { name: REAL_NAME, ...RULES_TEMPLATE, requireSignedAgreement: true } });
    clients = s.all;
    const alice = s.members[0] as KindredClient;
    // What the relay holds: alice's acceptance as she entered, and the roster.
    const acceptance = relay.tap.received
      .filter((r) => r.includes('"session.enter"') && r.includes(alice.me))
      .map((r) => (JSON.parse(r.slice(r.indexOf('['))) as [string, { acceptance: SignedAcceptance }])[1].acceptance)
      .find((a) => a.body.member === alice.me);
    expect(acceptance).toBeDefined();
    const digest = acceptance!.body.rulesDigest;
    const roster = s.facilitator.getState().group!.roster!;

    const guesses: Omit<GroupCardBody, 'salt'>[] = [];
    for (const name of candidateNames()) {
      for (const requireSignedAgreement of [true, false]) {
        for (const [v, revision] of [1, 2].flatMap((ver) => [1, 2, 3].map((r) => [ver, r] as const))) {
          guesses.push({ v: v as GroupCardBody['v'], groupId: s.groupId, name, ...RULES_TEMPLATE, expirySeconds: roster.policy.expirySeconds, requireSignedAgreement, revision, signer: roster.creator });
        }
      }
    }
    expect(guesses.length).toBeGreaterThan(1600);
    const hits = guesses.filter((g) => relayDigests(g).includes(digest)).map((g) => g.name);
    expect(hits).toEqual([]);

    // The control: the guesses did contain the exact card but for its salt, and whoever holds the card (the
    // facilitator, any member who opened the invite) recomputes the digest from it.
    const card = s.facilitator.getState().group!.card!;
    const { salt: _salt, ...unsalted } = card as GroupCardBody;
    expect(guesses).toContainEqual(unsalted);
    expect(rulesDigest(card)).toBe(digest);
    expect(rulesDigest(alice.getState().group!.card!)).toBe(digest);
  });
});
