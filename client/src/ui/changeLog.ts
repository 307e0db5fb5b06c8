/** The wording of every line of the session's change log (the engine keeps them as data: state.session.log). */
import type { RosterOp } from '@kindred/shared/protocol';
import type { SessionEvent } from '../engine';
import { formatDuration } from './format';
import type { NameOf } from './names';

/** A roster change in plain words, with the names known in this session. */
export function describeChange(op: RosterOp, signer: string, name: (id: string) => string): string {
  const who = name(signer);
  switch (op.type) {
    case 'genesis':
      return `${who} created the group.`;
    case 'admit':
      return `${who} let ${name(op.member)} in.`;
    case 'remove':
      return `${who} removed ${name(op.member)}.`;
    case 'leave':
      return `${name(op.member)} left the group.`;
    case 'ban':
      return `${who} banned ${name(op.member)}.`;
    case 'unban':
      return `${who} lifted the ban on ${name(op.member)}.`;
    case 'role':
      return op.role === 'facilitator' ? `${who} made ${name(op.member)} a co-facilitator.` : `${who} made ${name(op.member)} a member again.`;
    case 'mute':
      return `${who} muted ${name(op.member)}.`;
    case 'unmute':
      return `${who} unmuted ${name(op.member)}.`;
    case 'muteAll':
      return op.on ? `${who} muted everyone but the facilitators.` : `${who} let everyone write again.`;
    case 'lock':
      return op.on ? `${who} locked the session to new arrivals.` : `${who} unlocked the session.`;
    case 'autoAdmit':
      return op.on ? `${who} turned on admitting newcomers automatically.` : `${who} turned off admitting newcomers automatically.`;
    case 'expiry':
      return `${who} changed how long messages last: they now disappear after ${formatDuration(op.expirySeconds)}.`;
    case 'slowMode':
      return op.seconds === 0 ? `${who} turned slow mode off.` : `${who} turned slow mode on: one message every ${formatDuration(op.seconds)}.`;
    case 'sessionOpen':
      return `${who} opened the session.`;
    case 'sessionClose':
      return `${who} closed the circle.`;
    case 'invite':
      return `${who} made a new invite link.`;
    case 'inviteRevoke':
      return `${who} revoked an invite link.`;
  }
}

export type LineKind = 'expiry' | 'roster' | 'key' | 'moderation' | 'session';

const ROSTER_LINE: Partial<Record<RosterOp['type'], LineKind>> = {
  expiry: 'expiry',
  mute: 'moderation',
  unmute: 'moderation',
  muteAll: 'moderation',
  lock: 'moderation',
  autoAdmit: 'moderation',
  slowMode: 'moderation',
  sessionOpen: 'session',
  sessionClose: 'session',
};

export function lineKind(event: SessionEvent): LineKind {
  switch (event.kind) {
    case 'roster':
      return ROSTER_LINE[event.op.type] ?? 'roster';
    case 'presence':
      return 'roster';
    case 'warning':
      return 'key';
    case 'joined':
    case 'history-gone':
      return 'session';
  }
}

/** One change-log line. "you" mid-sentence ("Ana muted you."), "You" when the line starts with it. */
export function describeEvent(event: SessionEvent, me: string, nameOf: NameOf): string {
  const name = (id: string) => (id === me ? 'you' : nameOf(id));
  let text: string;
  switch (event.kind) {
    case 'roster':
      text = describeChange(event.op, event.signer, name);
      break;
    case 'presence':
      text = `${name(event.member)} ${event.present ? 'joined' : 'left'} the session.`;
      break;
    case 'warning':
      text = `Security warning: ${event.message} Compare safety numbers before sharing anything sensitive.`;
      break;
    case 'joined':
      text = 'You are in the session. Messages are end-to-end encrypted.';
      break;
    case 'history-gone':
      text =
        event.count === 1
          ? 'One message from before you reloaded is no longer available.'
          : `${event.count} messages from before you reloaded are no longer available.`;
      break;
  }
  return text.charAt(0).toUpperCase() + text.slice(1);
}
