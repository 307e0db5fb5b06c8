import { useState, type FormEvent } from 'react';
import { MAX_DISPLAY_NAME } from '@kindred/shared/protocol';
import { dispatch, useSession } from '../../store/sessionStore';
import { createGroup } from '../../store/flows';
import { useApp } from '../../store/appStore';
import { EXPIRY_CHOICES, formatDuration } from '../format';
import { RULES_TEMPLATE } from '../rulesTemplate';
import { ErrorNotice } from '../parts/ErrorNotice';

/** Facilitators: a new group from the editable ground-rules template. */
export function CreateGroupScreen() {
  const busy = useSession((s) => s.busy === 'create');
  const error = useSession((s) => s.error);
  const clearError = useSession((s) => s.clearError);
  const navigate = useApp((s) => s.navigate);
  const [form, setForm] = useState({
    name: '',
    displayName: '',
    groundRules: RULES_TEMPLATE.groundRules,
    codeOfConduct: RULES_TEMPLATE.codeOfConduct,
    confidentialityLimits: RULES_TEMPLATE.confidentialityLimits,
    crisisResources: RULES_TEMPLATE.crisisResources,
    expirySeconds: 3600,
    requireSignedAgreement: true,
  });
  const set = <K extends keyof typeof form>(key: K, value: (typeof form)[K]) => setForm((f) => ({ ...f, [key]: value }));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void dispatch('create', (engine) => createGroup(engine, { ...form, name: form.name.trim(), displayName: form.displayName.trim() })).then(
      (ok) => ok && navigate({ name: 'group' }),
    );
  };

  const area = (key: 'groundRules' | 'codeOfConduct' | 'confidentialityLimits' | 'crisisResources', label: string, max: number) => (
    <>
      <label htmlFor={`f-${key}`}>{label}</label>
      <textarea id={`f-${key}`} rows={6} maxLength={max} required value={form[key]} onChange={(e) => set(key, e.target.value)} />
    </>
  );

  return (
    <main id="main" className="screen narrow">
      <h1>Start a group</h1>
      <p>Everything here is encrypted in this browser before it leaves; the server cannot read it. Edit the template to suit your group.</p>
      <form onSubmit={submit} className="stack">
        <label htmlFor="f-name">Group name (only members see it)</label>
        <input id="f-name" required maxLength={120} value={form.name} onChange={(e) => set('name', e.target.value)} />
        <label htmlFor="f-display">Your name as facilitator</label>
        <input
          id="f-display"
          required
          maxLength={MAX_DISPLAY_NAME}
          value={form.displayName}
          onChange={(e) => set('displayName', e.target.value)}
        />
        {area('groundRules', 'Ground rules (including confidentiality)', 8000)}
        {area('codeOfConduct', 'Code of conduct', 8000)}
        {area('confidentialityLimits', 'Limits of confidentiality and duty to report', 8000)}
        {area('crisisResources', 'Crisis resources (always one click away for members)', 4000)}
        <label htmlFor="f-expiry">Messages disappear after</label>
        <select id="f-expiry" value={form.expirySeconds} onChange={(e) => set('expirySeconds', Number(e.target.value))}>
          {EXPIRY_CHOICES.map((s) => (
            <option key={s} value={s}>
              {formatDuration(s)}
            </option>
          ))}
        </select>
        <div className="check">
          <input
            id="f-agreement"
            type="checkbox"
            checked={form.requireSignedAgreement}
            onChange={(e) => set('requireSignedAgreement', e.target.checked)}
          />
          <label htmlFor="f-agreement">Ask members to sign the confidentiality agreement with their key before each session</label>
        </div>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Creating the group…' : 'Create the group'}
        </button>
      </form>
      <ErrorNotice error={error} onDismiss={clearError} />
    </main>
  );
}
