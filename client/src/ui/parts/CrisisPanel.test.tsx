import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { appStore } from '../../store/appStore';
import { CrisisPanel } from './CrisisPanel';
import { inSession } from '../../testing/engineFixtures';
import { installRecordingClient } from '../../testing/recordingClient';

afterEach(() => {
  cleanup();
  appStore.getState().reset();
});

describe('CrisisPanel', () => {
  it("gives the group's resources with numbers to call, and the emergency advice once", () => {
    installRecordingClient(inSession('member'));
    appStore.getState().openPanel('crisis');
    render(<CrisisPanel />);
    expect(screen.getByRole('link', { name: 'Call 112' }).getAttribute('href')).toBe('tel:112');
    expect(screen.getAllByText(/emergency/i)).toHaveLength(1);
  });
});
