import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { App } from '../../app/App';
import { appStore } from '../../store/appStore';
import { identityStore } from '../../store/identityStore';
import { cardOpen, inSession, withPhase } from '../../testing/engineFixtures';
import { installRecordingClient } from '../../testing/recordingClient';

function joinWithCardOpen() {
  const fake = installRecordingClient(cardOpen());
  identityStore.setState({ status: 'ready', kind: 'one-off' });
  appStore.setState({ route: { name: 'join', fragment: 'the-fragment' }, exited: false });
  return fake;
}

afterEach(() => {
  cleanup();
  identityStore.setState({ status: 'unknown', kind: null });
});

describe('the rules gate', () => {
  it('shows the rules and nothing of the group until they are accepted explicitly', async () => {
    const fake = joinWithCardOpen();
    render(<App />);
    const main = screen.getByRole('main');
    expect(within(main).getByRole('heading', { name: /Ground rules/ })).toBeTruthy();
    expect(within(main).getByRole('heading', { name: /Code of conduct/ })).toBeTruthy();
    expect(within(main).getByRole('heading', { name: /Limits of confidentiality/ })).toBeTruthy();
    // Nothing else of the group is reachable: no chat, no roster, no waiting room.
    expect(screen.queryByRole('log')).toBeNull();
    expect(screen.queryByRole('textbox', { name: 'Message' })).toBeNull();
    expect(screen.queryByRole('heading', { name: /People/ })).toBeNull();
    // The engine was asked to open the invite with the fragment from the link.
    await waitFor(() => expect(fake.called('openInvite')[0]?.args).toEqual(['the-fragment']));

    const button = screen.getByRole('button', { name: 'Sign and continue' }) as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    fireEvent.click(button);
    expect(fake.called('acceptRules')).toHaveLength(0);

    fireEvent.click(screen.getByRole('checkbox'));
    expect(button.disabled).toBe(false);
    fireEvent.click(button);
    // The group asks for the signed agreement, so acceptance signs it.
    await waitFor(() => expect(fake.called('acceptRules')[0]?.args).toEqual([true]));
  });

  it('stays on the rules even when the engine already has a session to show', () => {
    const fake = joinWithCardOpen();
    const live = inSession();
    // A session the engine already holds, while the open session's rules are not accepted on this device.
    fake.set(withPhase({ ...live, session: null, group: { ...live.group!, acceptedSession: null } }));
    render(<App />);
    expect(screen.queryByRole('log')).toBeNull();
    expect(screen.getByRole('checkbox')).toBeTruthy();
  });

  it('keeps crisis help and quick exit reachable on the rules screen', () => {
    joinWithCardOpen();
    render(<App />);
    expect(screen.getByRole('button', { name: /Quick exit/ })).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Crisis help' }));
    // The group's own resources, its numbers as links to call.
    expect(screen.getByRole('link', { name: 'Call 112' })).toBeTruthy();
  });
});
