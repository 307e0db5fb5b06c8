import type { UserError } from '../../store/userError';

/** An error says what happened and what to do. Announced at once (role="alert"). */
export function ErrorNotice({ error, onDismiss }: { error: UserError | null; onDismiss?: () => void }) {
  if (!error) return null;
  return (
    <div className="notice notice-error" role="alert">
      <p>
        <strong>{error.what}</strong> {error.todo}
      </p>
      {onDismiss ? (
        <button type="button" className="link-button" onClick={onDismiss}>
          Dismiss
        </button>
      ) : null}
    </div>
  );
}
