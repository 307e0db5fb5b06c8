import { describe, expect, it } from 'vitest';
import { phoneParts } from './phoneLinks';

describe('phoneParts', () => {
  it('finds short codes and spaced numbers, and offers sms where the line offers texting', () => {
    expect(phoneParts('Samaritans (UK and Ireland): 116 123, any time.')).toEqual([
      { text: 'Samaritans (UK and Ireland): ' },
      { number: '116 123', dial: '116123', sms: false },
      { text: ', any time.' },
    ]);
    expect(phoneParts('988 Lifeline (US): call or text 988.')).toEqual([
      { number: '988', dial: '988', sms: true },
      { text: ' Lifeline (US): call or text ' },
      { number: '988', dial: '988', sms: true },
      { text: '.' },
    ]);
    expect(phoneParts('call +44 20 7946 0958 now')[1]).toEqual({ number: '+44 20 7946 0958', dial: '+442079460958', sms: false });
  });

  it('leaves text without numbers, and numbers inside words, alone', () => {
    expect(phoneParts('findahelpline.com')).toEqual([{ text: 'findahelpline.com' }]);
    expect(phoneParts('room B12 or 42')).toEqual([{ text: 'room B12 or 42' }]);
  });
});
