import { afterEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { Composer } from './Composer';
import { ALICE, inSession, ME } from '../../testing/engineFixtures';
import { installRecordingClient } from '../../testing/recordingClient';

afterEach(cleanup);

describe('Composer', () => {
  it('sends with Enter and clears the box', async () => {
    const fake = installRecordingClient(inSession());
    render(<Composer />);
    const box = screen.getByRole('textbox', { name: 'Message' }) as HTMLTextAreaElement;
    fireEvent.change(box, { target: { value: 'hello all' } });
    fireEvent.keyDown(box, { key: 'Enter' });
    await waitFor(() => expect(box.value).toBe(''));
    expect(fake.called('send').map((c) => c.args[0])).toEqual(['hello all']);
  });

  it('in slow mode, counts down to my next message and holds Send until then', () => {
    const mine = { id: `${ME}:k:0`, sender: ME, text: 'hi', receivedAt: Date.now() - 5_000, expiresAt: Date.now() + 60_000, own: true };
    const policy = { expirySeconds: 3600, slowModeSeconds: 30, muteAllButFacilitators: false };
    const fake = installRecordingClient(inSession('member', { roster: { policy }, session: { messages: [mine] } }));
    render(<Composer />);
    expect(screen.getByText(/You can send your next message in (25|26) s/)).toBeTruthy();
    const box = screen.getByRole('textbox', { name: 'Message' }) as HTMLTextAreaElement;
    fireEvent.change(box, { target: { value: 'again' } });
    expect((screen.getByRole('button', { name: 'Send' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(fake.called('send')).toHaveLength(0);
  });

  it('when muted: says so, and cannot send', () => {
    const fake = installRecordingClient(inSession('member', { me: { muted: true } }));
    render(<Composer />);
    expect(screen.getByText(/A facilitator has muted you/)).toBeTruthy();
    const box = screen.getByRole('textbox', { name: 'Message' }) as HTMLTextAreaElement;
    expect(box.disabled).toBe(true);
    fireEvent.keyDown(box, { key: 'Enter' });
    const send = screen.getByRole('button', { name: 'Send' }) as HTMLButtonElement;
    expect(send.disabled).toBe(true);
    fireEvent.click(send);
    expect(fake.called('send')).toHaveLength(0);
  });

  it('during a round, only the holder of the talking stick can write', () => {
    const round = { id: 'r', kind: 'check-in' as const, order: [ALICE, ME], current: 0, startedBy: ALICE };
    const fake = installRecordingClient(inSession('member', { session: { round } }));
    render(<Composer />);
    expect(screen.getByText(/only the person holding the talking stick/)).toBeTruthy();
    act(() => fake.set(inSession('member', { session: { round: { ...round, current: 1 } } })));
    expect(screen.queryByText(/only the person holding the talking stick/)).toBeNull();
  });

  it('shows what to do when the relay refuses a message', async () => {
    const fake = installRecordingClient(inSession());
    fake.failNext('send', 'SLOW_MODE');
    render(<Composer />);
    const box = screen.getByRole('textbox', { name: 'Message' }) as HTMLTextAreaElement;
    fireEvent.change(box, { target: { value: 'again' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/Slow mode is on/);
    expect(alert.textContent).toMatch(/send it again in a few seconds/);
    // The refusal is shown first; the text comes back when the dispatch settles, a tick later.
    await waitFor(() => expect(box.value).toBe('again'));
  });
});
