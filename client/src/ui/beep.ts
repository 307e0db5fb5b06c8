/**
 * A short tone made in the browser (WebAudio: nothing is fetched, so the CSP and the relay-only rule hold). Two
 * notes for a distress note, one for a knock. Silently nothing where audio is unavailable or not yet allowed.
 */
export function beep(urgent: boolean): void {
  const Ctx = typeof window === 'undefined' ? undefined : window.AudioContext;
  if (!Ctx) return;
  try {
    const ctx = new Ctx();
    const start = ctx.currentTime;
    const notes = urgent ? [880, 660] : [660];
    notes.forEach((hz, i) => {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      const t = start + i * 0.2;
      osc.frequency.value = hz;
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.2, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.18);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t);
      osc.stop(t + 0.2);
    });
    setTimeout(() => void ctx.close().catch(() => undefined), 600);
  } catch {
    // No sound is better than an error in the middle of a session.
  }
}
