import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { App } from './App';
import { NEUTRAL_PAGE, doubleEscape, setLeaveForTests } from '../store/quickExit';
import { appStore } from '../store/appStore';
import { currentEngine } from '../store/engineHost';
import { identityStore } from '../store/identityStore';
import { sessionStore } from '../store/sessionStore';
import { ALICE, inSession } from '../testing/engineFixtures';
import { installRecordingClient } from '../testing/recordingClient';

let left: string[] = [];
beforeEach(() => {
  left = [];
  setLeaveForTests((url) => left.push(url));
  appStore.setState({ exited: false, route: { name: 'join', fragment: 'frag' } });
  identityStore.setState({ status: 'ready', kind: 'one-off' });
});
afterEach(cleanup);

function inALiveSession() {
  const fake = installRecordingClient(
    inSession('member', { session: { messages: [{ id: 'm1', sender: ALICE, text: 'something private', receivedAt: 1, expiresAt: Date.now() + 60_000, own: false }] } }),
  );
  render(<App />);
  expect(screen.getByText('something private')).toBeTruthy();
  return fake;
}

describe('quick exit', () => {
  it('the button wipes the engine and every store, blanks the page and leaves for the neutral page', () => {
    const fake = inALiveSession();
    fireEvent.click(screen.getByRole('button', { name: /Quick exit/ }));
    expect(fake.closed()).toBe(true);
    expect(currentEngine()).toBeNull();
    expect(sessionStore.getState().engine.session).toBeNull();
    expect(sessionStore.getState().engine.group).toBeNull();
    expect(identityStore.getState().status).toBe('unknown');
    expect(appStore.getState().route).toEqual({ name: 'home' });
    expect(screen.queryByText('something private')).toBeNull();
    expect(document.body.textContent).toBe('');
    expect(left).toEqual([NEUTRAL_PAGE]);
  });

  it('Escape pressed twice does the same', () => {
    const fake = inALiveSession();
    fireEvent.keyDown(window, { key: 'Escape' });
    expect(fake.closed()).toBe(false);
    fireEvent.keyDown(window, { key: 'Escape' });
    expect(fake.closed()).toBe(true);
    expect(left).toEqual([NEUTRAL_PAGE]);
  });

  it('doubleEscape needs two Escapes in a row within the window', () => {
    let t = 0;
    let fired = 0;
    const onKey = doubleEscape(() => fired++, () => t, 1500);
    const key = (k: string) => onKey(new KeyboardEvent('keydown', { key: k }));
    key('Escape');
    t = 2000;
    key('Escape'); // too late: counts as a first press
    expect(fired).toBe(0);
    key('a');
    key('Escape'); // another key in between resets
    expect(fired).toBe(0);
    t = 2500;
    key('Escape');
    expect(fired).toBe(1);
  });
});
