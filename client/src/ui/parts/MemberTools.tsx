import { HandsAndRound } from './HandsAndRound';
import { Roster } from './Roster';
import { SafetyPanel } from './SafetyPanel';
import { SupportPanel } from './SupportPanel';

/** A member's side: who is here, turns and hands, a private word to the facilitators, safety numbers. */
export function MemberTools() {
  return (
    <div className="side-body">
      <SafetyPanel />
      <HandsAndRound />
      <SupportPanel />
      <Roster />
    </div>
  );
}
