import { describe, expect, it } from 'vitest';
import { formatDuration } from './format';

describe('formatDuration', () => {
  it('rounds to the unit it names: never "60 minutes" or "24 hours"', () => {
    expect(formatDuration(45)).toBe('45 seconds');
    expect(formatDuration(59 * 60)).toBe('59 minutes');
    expect(formatDuration(3570)).toBe('1 hour');
    expect(formatDuration(3600)).toBe('1 hour');
    expect(formatDuration(23.6 * 3600)).toBe('1 day');
    expect(formatDuration(2 * 3600)).toBe('2 hours');
  });
});
