import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, render } from '@testing-library/react';
import { appStore } from '../../store/appStore';
import { NoSessionScreen, NO_SESSION_RECHECK_MS } from './NoSessionScreen';
import { cardOpen } from '../../testing/engineFixtures';
import { installRecordingClient } from '../../testing/recordingClient';

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  appStore.getState().reset();
});

describe('NoSessionScreen', () => {
  it('asks again by itself, so it moves on when the session opens', async () => {
    vi.useFakeTimers();
    const fake = installRecordingClient(cardOpen());
    appStore.getState().followHash({ name: 'join', fragment: 'k2.fragment' });
    render(<NoSessionScreen />);
    expect(fake.called('openInvite')).toHaveLength(0);
    await act(async () => {
      await vi.advanceTimersByTimeAsync(NO_SESSION_RECHECK_MS);
    });
    expect(fake.called('openInvite')[0]?.args).toEqual(['k2.fragment']);
  });
});
