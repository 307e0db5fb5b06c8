/** A reloaded tab on its way back into its session (store/placeResume.ts): nothing to do but wait a moment. */
export function ResumeScreen() {
  return (
    <main id="main" className="screen narrow">
      <h1>Coming back to your group</h1>
      <p role="status">Opening the group and your session again in this browser…</p>
    </main>
  );
}
