/** The ground-rules template a facilitator starts from. Every field is editable before the group is created. */
export const RULES_TEMPLATE = {
  groundRules: [
    'What is said here stays here. Do not share, copy, record or screenshot anything from the session.',
    'Speak for yourself, from your own experience. Use "I", not "you should".',
    'Listen without interrupting. Everyone may pass; nobody has to speak.',
    'Messages disappear on every device after the time shown, and everything is wiped when the session ends.',
  ].join('\n'),
  codeOfConduct: [
    'Be kind and respectful. No insults, harassment, hate or threats.',
    'No advice on medication, no selling, no recruiting.',
    'Do not try to find out who someone is outside the group.',
    'The facilitator may mute or remove anyone who breaks these rules, to keep the group safe.',
  ].join('\n'),
  confidentialityLimits: [
    'Confidentiality has limits. If someone says they are about to seriously harm themselves or someone else, or that a child or vulnerable adult is being harmed, the facilitator may have a duty to act, which can include contacting emergency services.',
    'The facilitator will tell you when possible.',
    'Other members are not professionals and cannot promise confidentiality beyond these rules.',
  ].join('\n'),
  crisisResources: [
    'If you are in immediate danger, call your local emergency number (112 in Europe, 911 in North America).',
    'Samaritans (UK and Ireland): 116 123, any time.',
    '988 Suicide & Crisis Lifeline (US): call or text 988.',
    'Find a helpline in your country: findahelpline.com',
  ].join('\n'),
} as const;

/** Shown before any group's own crisis resources are known. */
export const GENERAL_CRISIS_TEXT =
  'If you are in immediate danger, call your local emergency number (112 in Europe, 911 in North America). You can find a free, confidential helpline in your country at findahelpline.com.';
