import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import type { Knocker } from '../../engine';
import { appStore } from '../../store/appStore';
import { FacilitatorConsole } from './FacilitatorConsole';
import { ALICE, BOB, inSession } from '../../testing/engineFixtures';
import { installRecordingClient } from '../../testing/recordingClient';

afterEach(() => {
  cleanup();
  appStore.getState().reset();
});

const tab = (name: RegExp) => fireEvent.click(screen.getByRole('tab', { name }));

function knock(letter: string, agreement: boolean, name?: string): Knocker {
  return { member: letter.repeat(43), agreement, rulesDigest: 'd'.repeat(43), currentRules: true, invite: { id: 'i'.repeat(22) }, ...(name ? { name } : {}) };
}

function facilitating() {
  const fake = installRecordingClient(
    inSession('facilitator', {
      session: {
        knocks: [knock('C', true)],
        talk: { [ALICE]: { messages: 3, characters: 300 }, [BOB]: { messages: 1, characters: 100 } },
        directs: [{ id: 1, from: BOB, kind: 'struggling', text: 'rough day', receivedAt: 0, expiresAt: 60_000, readAt: null }],
      },
    }),
  );
  render(<FacilitatorConsole />);
  return fake;
}

describe('FacilitatorConsole', () => {
  it('admits and denies from the waiting room, showing the signed agreement', async () => {
    const fake = facilitating();
    const room = screen.getByRole('region', { name: /Waiting room/ });
    expect(within(room).getByText('signed the agreement')).toBeTruthy();
    fireEvent.click(within(room).getByRole('button', { name: /Admit/ }));
    fireEvent.click(within(room).getByRole('button', { name: /Deny/ }));
    await waitFor(() => expect(fake.called('admit')[0]?.args).toEqual(['C'.repeat(43)]));
    await waitFor(() => expect(fake.called('deny')[0]?.args).toEqual(['C'.repeat(43)]));
  });

  it('names each knocker by its introduced pseudonym and its key, or as someone', () => {
    installRecordingClient(inSession('facilitator', { session: { knocks: [knock('C', true, 'Robin'), knock('D', false)] } }));
    render(<FacilitatorConsole />);
    const room = screen.getByRole('region', { name: /Waiting room/ });
    expect(within(room).getByRole('button', { name: 'Admit Robin (CCCCC)' })).toBeTruthy();
    expect(within(room).getByRole('button', { name: 'Admit Someone (DDDDD)' })).toBeTruthy();
  });

  it('shows talk share as percentages of messages and characters', () => {
    facilitating();
    tab(/Session/);
    const table = screen.getByRole('table');
    const alice = within(table).getByRole('row', { name: /Alice/ });
    expect(alice.textContent).toContain('75% (3)');
    expect(alice.textContent).toContain('75% (300)');
    const bob = within(table).getByRole('row', { name: /Bob/ });
    expect(bob.textContent).toContain('25% (1)');
    const me = within(table).getByRole('row', { name: /Me \(you\)/ });
    expect(me.textContent).toContain('silent so far');
  });

  it('mutes at once, but asks before removing', async () => {
    const fake = facilitating();
    tab(/People/);
    fireEvent.click(screen.getByRole('button', { name: 'Mute Bob' }));
    await waitFor(() => expect(fake.called('mute')[0]?.args).toEqual([BOB]));
    fireEvent.click(screen.getByRole('button', { name: 'Remove Bob' }));
    expect(fake.called('remove')).toHaveLength(0);
    fireEvent.click(screen.getByRole('button', { name: 'Yes, remove Bob' }));
    await waitFor(() => expect(fake.called('remove')[0]?.args).toEqual([BOB]));
  });

  it('shows who has not confirmed my last roster change, and warns when it is overdue', () => {
    installRecordingClient(
      inSession('facilitator', {
        session: { rosterAcks: { epoch: 5, madeAt: 0, members: [{ member: ALICE, acked: true, overdue: false }, { member: BOB, acked: false, overdue: true }] } },
      }),
    );
    render(<FacilitatorConsole />);
    tab(/People/);
    const rowOf = (name: string) => screen.getByText(name, { selector: '.member-name' }).closest('li')!;
    expect(rowOf('Bob').textContent).toContain('has not confirmed your change');
    expect(rowOf('Alice').textContent).not.toContain('confirm');
    expect(screen.getByRole('status').textContent).toContain('may be withholding');
  });

  it('tells a member whose device is kept behind that sending is paused', () => {
    installRecordingClient(inSession('facilitator', { session: { rosterGap: { epoch: 9, since: 0, withheld: true } } }));
    render(<FacilitatorConsole />);
    tab(/People/);
    expect(screen.getByRole('alert').textContent).toContain('withholding changes to this group');
  });

  it('locks, mutes all, sets slow mode and expiry, and closes the circle after a confirmation', async () => {
    const fake = facilitating();
    tab(/Session/);
    fireEvent.click(screen.getByRole('button', { name: /Lock the session/ }));
    fireEvent.click(screen.getByRole('button', { name: 'Mute all but facilitators' }));
    fireEvent.change(screen.getByLabelText('Slow mode'), { target: { value: '30' } });
    fireEvent.change(screen.getByLabelText(/Messages disappear after/), { target: { value: '600' } });
    fireEvent.click(screen.getByRole('button', { name: /Close the circle/ }));
    expect(fake.called('closeSession')).toHaveLength(0);
    expect(screen.getByText(/^No next session is set/)).toBeTruthy(); // the moment to set it, before members go
    fireEvent.click(screen.getByRole('button', { name: 'Yes, close the circle' }));
    await waitFor(() => expect(fake.called('closeSession')).toHaveLength(1));
    expect(fake.called('lock')[0]?.args).toEqual([true]);
    expect(fake.called('muteAll')[0]?.args).toEqual([true]);
    expect(fake.called('slowMode')[0]?.args).toEqual([30]);
    expect(fake.called('setExpiry')[0]?.args).toEqual([600]);
    expect(fake.called('closeSession')).toHaveLength(1);
  });

  it('turns admitting newcomers automatically on, and the waiting room says so once the policy is in', async () => {
    const fake = facilitating();
    tab(/Session/);
    const box = screen.getByLabelText<HTMLInputElement>('Admit newcomers automatically');
    expect(box.checked).toBe(false);
    fireEvent.click(box);
    await waitFor(() => expect(fake.called('autoAdmit')[0]?.args).toEqual([true]));
    cleanup();
    const policy = { expirySeconds: 3600, slowModeSeconds: 0, muteAllButFacilitators: false, autoAdmit: true };
    installRecordingClient(inSession('facilitator', { roster: { policy } }));
    render(<FacilitatorConsole />);
    tab(/Waiting/);
    expect(screen.getByText('Newcomers with a valid invite are admitted automatically.')).toBeTruthy();
    tab(/Session/);
    expect(screen.getByLabelText<HTMLInputElement>('Admit newcomers automatically').checked).toBe(true);
  });

  it('shows private notes from members, counted on their tab until read', async () => {
    const fake = facilitating();
    expect(screen.getByRole('tab', { name: /Notes/ }).textContent).toBe('Notes1');
    tab(/Notes/);
    expect(screen.getByText(/is struggling/)).toBeTruthy();
    expect(screen.getByText('rough day')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: /I have read this/ }));
    await waitFor(() => expect(fake.called('acknowledgeNote')[0]?.args).toEqual([1]));
  });
});
