import { afterEach, describe, expect, it } from 'vitest';
import { act, cleanup, render, screen } from '@testing-library/react';
import { OfflineBanner } from './OfflineBanner';
import { ME, inSession } from '../../testing/engineFixtures';
import { installRecordingClient } from '../../testing/recordingClient';

afterEach(cleanup);

const waitingMessage = { id: `${ME}:waiting:x`, clientId: 'x', sender: ME, text: 'hi', receivedAt: 1, expiresAt: 2, own: true, waiting: true as const };

describe('OfflineBanner', () => {
  it('shows nothing online; offline it says so, that writing waits, and that presence is unknown', () => {
    const fake = installRecordingClient(inSession());
    render(<OfflineBanner />);
    expect(screen.queryByRole('status')).toBeNull();
    act(() => fake.set({ ...inSession('member', { session: { messages: [waitingMessage] } }), link: { offline: true, since: 1, failures: 0, retryAt: null } }));
    const banner = screen.getByRole('status');
    expect(banner.textContent).toMatch(/You are offline/);
    expect(banner.textContent).toMatch(/Your message waits and will be sent/);
    expect(banner.textContent).toMatch(/Who is here is unknown/);
  });

  it('after a refused re-entry it says it is trying again', () => {
    const fake = installRecordingClient(inSession());
    render(<OfflineBanner />);
    act(() => fake.set({ ...inSession(), link: { offline: true, since: 1, failures: 2, retryAt: Date.now() + 4_000 } }));
    expect(screen.getByRole('status').textContent).toMatch(/Rejoining failed 2 times; trying again in [45] s/);
  });
});
