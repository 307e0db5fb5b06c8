import { describe, expect, it } from 'vitest';
import { splitCommands } from './countingProxy';

const resp = (...args: string[]): string => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

describe('countingProxy.splitCommands', () => {
  it('names and measures whole commands, and keeps a command cut between chunks for the next one', () => {
    const publish = resp('SPUBLISH', 'k:sio#/#sess:a#', '{"x":"a b\r\nc"}');
    const whole = Buffer.from(resp('ssubscribe', 'k:sio#/#') + publish);
    const cut = whole.length - 5;
    const first = splitCommands(whole.subarray(0, cut));
    expect(first.commands).toEqual([{ name: 'SSUBSCRIBE', bytes: Buffer.byteLength(resp('ssubscribe', 'k:sio#/#')) }]);
    const second = splitCommands(Buffer.concat([first.rest, whole.subarray(cut)]));
    expect(second.commands).toEqual([{ name: 'SPUBLISH', bytes: Buffer.byteLength(publish) }]);
    expect(second.rest.length).toBe(0);
  });
});
