import { afterEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { Composer } from './Composer';
import { ALICE, installFakeEngine, inSession, ME } from '../../testing/fakeEngine';

afterEach(cleanup);

describe('Composer', () => {
  it('sends with Enter and clears the box', async () => {
    const fake = installFakeEngine();
    fake.set(inSession());
    render(<Composer />);
    const box = screen.getByRole('textbox', { name: 'Message' }) as HTMLTextAreaElement;
    fireEvent.change(box, { target: { value: 'hello all' } });
    fireEvent.keyDown(box, { key: 'Enter' });
    await waitFor(() => expect(box.value).toBe(''));
    expect(fake.called('send').map((c) => c.args[0])).toEqual(['hello all']);
  });

  it('when muted: says so, and cannot send', () => {
    const fake = installFakeEngine();
    fake.set(inSession('member', { muted: true }));
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
    const fake = installFakeEngine();
    fake.set({ ...inSession(), round: { kind: 'check-in', holder: ALICE, queue: [ALICE, ME] } });
    render(<Composer />);
    expect(screen.getByText(/only the person holding the talking stick/)).toBeTruthy();
    act(() => fake.set({ round: { kind: 'check-in', holder: ME, queue: [ME] } }));
    expect(screen.queryByText(/only the person holding the talking stick/)).toBeNull();
  });

  it('shows what to do when the relay refuses a message', async () => {
    const fake = installFakeEngine();
    fake.set(inSession());
    fake.failNext = { method: 'send', code: 'SLOW_MODE' };
    render(<Composer />);
    const box = screen.getByRole('textbox', { name: 'Message' }) as HTMLTextAreaElement;
    fireEvent.change(box, { target: { value: 'again' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/Slow mode is on/);
    expect(alert.textContent).toMatch(/send it again in a few seconds/);
    expect(box.value).toBe('again');
  });
});
