import { describe, expect, it } from 'vitest';
import { parseRoute, routeHash } from './route';

describe('routes', () => {
  it('reads the invite fragment and never writes it back to the address bar', () => {
    const r = parseRoute('#/join/abc.def');
    expect(r).toEqual({ name: 'join', fragment: 'abc.def' });
    expect(routeHash(r)).toBe('#/join');
    expect(parseRoute('#/create')).toEqual({ name: 'create' });
    expect(parseRoute('')).toEqual({ name: 'home' });
    expect(parseRoute('#/join/')).toEqual({ name: 'join', fragment: null });
  });
});
