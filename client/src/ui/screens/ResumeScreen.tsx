import { useApp } from '../../store/appStore';
import { resumeAgain } from '../../store/placeResume';
import { useErrorFrom } from '../../store/sessionStore';
import { ErrorNotice } from '../parts/ErrorNotice';

/** A reloaded tab on its way back into its session (store/placeResume.ts). */
export function ResumeScreen() {
  const stalled = useApp((s) => s.resuming === 'stalled');
  const error = useErrorFrom('resume-place');
  return (
    <main id="main" className="screen narrow">
      <h1>Coming back to your group</h1>
      {stalled ? (
        <>
          <ErrorNotice error={error} />
          <button type="button" className="primary" onClick={resumeAgain}>
            Try again
          </button>
        </>
      ) : (
        <p role="status">Opening the group and your session again in this browser…</p>
      )}
    </main>
  );
}
