import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { FacilitatorConsole } from './FacilitatorConsole';
import { ALICE, BOB, installFakeEngine, inSession } from '../../testing/fakeEngine';

afterEach(cleanup);

function facilitating() {
  const fake = installFakeEngine();
  fake.set({
    ...inSession('facilitator'),
    waiting: [{ memberId: 'C'.repeat(43), displayName: '', signedAgreement: true }],
    talkShare: [
      { memberId: ALICE, messages: 3, chars: 300 },
      { memberId: BOB, messages: 1, chars: 100 },
    ],
    directs: [{ id: '1', from: BOB, kind: 'struggling', text: 'rough day', at: 0 }],
  });
  render(<FacilitatorConsole />);
  return fake;
}

describe('FacilitatorConsole', () => {
  it('admits and denies from the waiting room, showing the signed agreement', () => {
    const fake = facilitating();
    const room = screen.getByRole('region', { name: /Waiting room/ });
    expect(within(room).getByText('signed the agreement')).toBeTruthy();
    fireEvent.click(within(room).getByRole('button', { name: /Admit/ }));
    fireEvent.click(within(room).getByRole('button', { name: /Deny/ }));
    expect(fake.called('admit')[0]?.args).toEqual(['C'.repeat(43)]);
    expect(fake.called('deny')[0]?.args).toEqual(['C'.repeat(43)]);
  });

  it('names each knocker by its introduced pseudonym and its key, or as someone', () => {
    const fake = installFakeEngine();
    fake.set({
      ...inSession('facilitator'),
      waiting: [
        { memberId: 'C'.repeat(43), displayName: 'Robin', signedAgreement: true },
        { memberId: 'D'.repeat(43), displayName: '', signedAgreement: false },
      ],
    });
    render(<FacilitatorConsole />);
    const room = screen.getByRole('region', { name: /Waiting room/ });
    expect(within(room).getByRole('button', { name: 'Admit Robin (CCCCC)' })).toBeTruthy();
    expect(within(room).getByRole('button', { name: 'Admit Someone (DDDDD)' })).toBeTruthy();
  });

  it('shows talk share as percentages of messages and characters', () => {
    facilitating();
    const table = screen.getByRole('table');
    const alice = within(table).getByRole('row', { name: /Alice/ });
    expect(alice.textContent).toContain('75% (3)');
    expect(alice.textContent).toContain('75% (300)');
    const bob = within(table).getByRole('row', { name: /Bob/ });
    expect(bob.textContent).toContain('25% (1)');
    const me = within(table).getByRole('row', { name: /Me \(you\)/ });
    expect(me.textContent).toContain('silent so far');
  });

  it('mutes at once, but asks before removing', () => {
    const fake = facilitating();
    fireEvent.click(screen.getByRole('button', { name: 'Mute Bob' }));
    expect(fake.called('mute')[0]?.args).toEqual([BOB]);
    fireEvent.click(screen.getByRole('button', { name: 'Remove Bob' }));
    expect(fake.called('remove')).toHaveLength(0);
    fireEvent.click(screen.getByRole('button', { name: 'Yes, remove Bob' }));
    expect(fake.called('remove')[0]?.args).toEqual([BOB]);
  });

  it('locks, mutes all, sets slow mode and expiry, and closes the circle after a confirmation', () => {
    const fake = facilitating();
    fireEvent.click(screen.getByRole('button', { name: /Lock the session/ }));
    fireEvent.click(screen.getByRole('button', { name: 'Mute all but facilitators' }));
    fireEvent.change(screen.getByLabelText('Slow mode'), { target: { value: '30' } });
    fireEvent.change(screen.getByLabelText(/Messages disappear after/), { target: { value: '600' } });
    fireEvent.click(screen.getByRole('button', { name: /Close the circle/ }));
    expect(fake.called('closeSession')).toHaveLength(0);
    fireEvent.click(screen.getByRole('button', { name: 'Yes, close the circle' }));
    expect(fake.called('lock')[0]?.args).toEqual([true]);
    expect(fake.called('muteAll')[0]?.args).toEqual([true]);
    expect(fake.called('slowMode')[0]?.args).toEqual([30]);
    expect(fake.called('expiry')[0]?.args).toEqual([600]);
    expect(fake.called('closeSession')).toHaveLength(1);
  });

  it('shows private notes from members', () => {
    facilitating();
    expect(screen.getByText(/is struggling/)).toBeTruthy();
    expect(screen.getByText('rough day')).toBeTruthy();
  });
});
