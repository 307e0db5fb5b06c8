import { afterEach, describe, expect, it } from 'vitest';
import { act, cleanup, render, screen } from '@testing-library/react';

/** The toasts on screen (the live regions repeat their words for screen readers). */
const toasts = (): string[] => (screen.queryAllByRole('listitem').map((li) => li.querySelector('p')?.textContent ?? ''));
import { Attention } from './Attention';
import { BOB, inSession } from '../../testing/engineFixtures';
import { installRecordingClient } from '../../testing/recordingClient';
import type { DirectNote, Knocker } from '../../engine';

afterEach(cleanup);

const KNOCKER = 'K'.repeat(43);
const knock: Knocker = { member: KNOCKER, agreement: true, rulesDigest: 'd', currentRules: true, invite: { id: 'i' } };
const note = (readAt: number | null): DirectNote => ({ id: 1, from: BOB, kind: 'struggling', text: 'not ok', receivedAt: 1, expiresAt: Date.now() + 60_000, readAt });

describe('Attention', () => {
  it('a knock raises a toast that leaves once the knock is dealt with, and names the knocker once introduced', () => {
    const fake = installRecordingClient(inSession('facilitator'));
    render(<Attention />);
    act(() => fake.set(inSession('facilitator', { session: { knocks: [knock] } })));
    expect(toasts()).toEqual(['Someone is waiting to join.']);
    expect(document.title).toBe('(1) Kindred');
    act(() => fake.set(inSession('facilitator', { session: { knocks: [{ ...knock, name: 'Robin' }] } })));
    expect(toasts()).toEqual(['Robin is waiting to join.']);
    act(() => fake.set(inSession('facilitator'))); // admitted (here or by another facilitator)
    expect(toasts()).toEqual([]);
    expect(document.title).toBe('Kindred');
  });

  it('a distress note stays until read, then its toast goes', () => {
    const fake = installRecordingClient(inSession('facilitator'));
    render(<Attention />);
    act(() => fake.set(inSession('facilitator', { session: { directs: [note(null)] } })));
    expect(toasts()).toEqual(['Bob is struggling and wrote to you privately.']);
    act(() => fake.set(inSession('facilitator', { session: { directs: [note(Date.now())] } })));
    expect(toasts()).toEqual([]);
  });
});
