import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { ClosedScreen } from '../screens/ClosedScreen';
import { CARD, inSession } from '../../testing/engineFixtures';
import { installRecordingClient } from '../../testing/recordingClient';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const NEXT = { startsAt: Date.UTC(2099, 0, 6, 18, 30), utcOffsetMinutes: 60, durationMinutes: 90 };

function closedWith(nextSession?: typeof NEXT) {
  const state = inSession('member');
  installRecordingClient({ ...state, phase: 'closed', closedReason: 'ended', session: null, group: { ...state.group!, card: { ...CARD, ...(nextSession ? { nextSession } : {}) } } });
  render(<ClosedScreen />);
}

/** The text of the .ics file the next "Add to calendar" click makes. */
async function downloaded(): Promise<string> {
  let blob: Blob | null = null;
  vi.spyOn(URL, 'createObjectURL').mockImplementation((b) => {
    blob = b as Blob;
    return 'blob:test';
  });
  vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => undefined);
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
  fireEvent.click(screen.getByRole('button', { name: 'Add to calendar' }));
  await waitFor(() => expect(blob).not.toBeNull());
  // jsdom's Blob has no text(): read it as a browser without it would.
  return new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result as string);
    reader.readAsText(blob as unknown as Blob);
  });
}

describe('the next session on the closed screen', () => {
  it('shows weekday, date and time, and makes a calendar file with a neutral title unless asked for the name', async () => {
    closedWith(NEXT);
    const time = screen.getByText((_, el) => el?.tagName === 'TIME');
    expect(time.getAttribute('datetime')).toBe('2099-01-06T18:30:00.000Z');
    expect(time.parentElement?.textContent).toMatch(/^Next session: \w+day, /);
    const neutral = await downloaded();
    expect(neutral).toContain('SUMMARY:Group meeting\r\n');
    expect(neutral).toContain('DTSTART:20990106T183000Z\r\n');
    expect(neutral).not.toContain(CARD.name);
    expect(neutral).toMatch(/\r\nUID:[0-9a-f]{32}@kindred\r\n/); // random: nothing of the group in it
    vi.restoreAllMocks();
    fireEvent.click(screen.getByLabelText("Put the group's name in the calendar entry"));
    expect(await downloaded()).toContain(`SUMMARY:${CARD.name}\r\n`);
  });

  it('says nothing of a next session when the card has none', () => {
    closedWith();
    expect(screen.queryByText(/Next session/)).toBeNull();
    expect(screen.queryByRole('button', { name: 'Add to calendar' })).toBeNull();
  });
});
