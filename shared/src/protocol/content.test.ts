import { describe, expect, it } from 'vitest';
import { isKindredError } from '../errors';
import { utf8 } from '../encoding';
import { decodeContent, decodeDirectContent, encodeContent, encodeDirectContent, type SignalContent } from './content';
import { MAX_TEXT_LENGTH } from './primitives';

const member = 'A'.repeat(43);
const id16 = 'B'.repeat(22);

function expectMalformed(f: () => unknown): void {
  try {
    f();
    expect.unreachable('should have thrown');
  } catch (e) {
    expect(isKindredError(e, 'MALFORMED')).toBe(true);
  }
}

describe('message content', () => {
  it('round-trips a chat text with a reply reference', () => {
    const c = { kind: 'text' as const, text: 'hello', replyTo: { sender: member, keyId: id16, counter: 3 } };
    expect(decodeContent('chat', encodeContent('chat', c))).toEqual(c);
  });

  it('round-trips a chat text with its client message id, and refuses an id that is not 16 bytes', () => {
    const c = { kind: 'text' as const, text: 'hello', id: id16 };
    expect(decodeContent('chat', encodeContent('chat', c))).toEqual(c);
    expectMalformed(() => encodeContent('chat', { kind: 'text', text: 'x', id: 'short' }));
  });

  it('round-trips each signal kind', () => {
    const signals: SignalContent[] = [
      { kind: 'profile', name: 'Robin' },
      { kind: 'typing', on: true },
      { kind: 'hand', raised: false, member },
      { kind: 'round.start', roundId: id16, round: 'check-in', order: [member] },
      { kind: 'round.pass', roundId: id16 },
      { kind: 'round.end', roundId: id16 },
    ];
    for (const s of signals) expect(decodeContent('signal', encodeContent('signal', s))).toEqual(s);
  });

  it('refuses a signal decoded as chat and a chat decoded as signal (type is bound to the schema)', () => {
    expectMalformed(() => decodeContent('chat', encodeContent('signal', { kind: 'typing', on: true })));
    expectMalformed(() => decodeContent('signal', encodeContent('chat', { kind: 'text', text: 'x' })));
  });

  it('bounds text length and refuses empty text, unknown fields, bad JSON and bad UTF-8', () => {
    expect(decodeContent('chat', encodeContent('chat', { kind: 'text', text: 'x'.repeat(MAX_TEXT_LENGTH) })).kind).toBe('text');
    expectMalformed(() => encodeContent('chat', { kind: 'text', text: 'x'.repeat(MAX_TEXT_LENGTH + 1) }));
    expectMalformed(() => encodeContent('chat', { kind: 'text', text: '' }));
    expectMalformed(() => decodeContent('chat', utf8('{"kind":"text","text":"a","extra":1}')));
    expectMalformed(() => decodeContent('chat', utf8('{"kind":"text",')));
    expectMalformed(() => decodeContent('chat', new Uint8Array([0xc3, 0x28])));
    expectMalformed(() => decodeContent('signal', utf8('{"kind":"profile","name":"' + 'n'.repeat(65) + '"}')));
  });

  it('round-trips direct content and refuses unknown kinds', () => {
    const d = { kind: 'struggling' as const, text: 'I need a moment' };
    expect(decodeDirectContent(encodeDirectContent(d))).toEqual(d);
    expectMalformed(() => decodeDirectContent(utf8('{"kind":"gossip","text":"x"}')));
    const read = { kind: 'note-read' as const, noteId: 'n'.repeat(22), author: 'a'.repeat(43) };
    expect(decodeDirectContent(encodeDirectContent(read))).toEqual(read);
    expectMalformed(() => decodeDirectContent(utf8('{"kind":"note-read","noteId":"' + 'n'.repeat(22) + '"}')));
  });

  it('round-trips an introduction and holds it to the pseudonym bounds', () => {
    const intro = { kind: 'introduction' as const, name: 'Robin', knock: 'k'.repeat(43) };
    expect(decodeDirectContent(encodeDirectContent(intro))).toEqual(intro);
    expectMalformed(() => decodeDirectContent(utf8('{"kind":"introduction","name":"","knock":"' + 'k'.repeat(43) + '"}')));
    // A name not bound to a knock proof is refused.
    expectMalformed(() => decodeDirectContent(utf8('{"kind":"introduction","name":"Robin"}')));
    expectMalformed(() => decodeDirectContent(utf8('{"kind":"introduction","name":"' + 'n'.repeat(65) + '","knock":"' + 'k'.repeat(43) + '"}')));
    // An introduction is a name, never a note: the two shapes do not mix.
    expectMalformed(() => decodeDirectContent(utf8('{"kind":"introduction","text":"Robin"}')));
    expectMalformed(() => decodeDirectContent(utf8('{"kind":"struggling","name":"Robin"}')));
  });
});
