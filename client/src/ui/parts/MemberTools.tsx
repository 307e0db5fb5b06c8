import { HandsAndRound } from './HandsAndRound';
import { Roster } from './Roster';
import { SafetyPanel } from './SafetyPanel';
import { SupportPanel } from './SupportPanel';

/**
 * A member's side: a private word to the facilitators first (what a member in distress opens this for, at the top of
 * the phone's sheet), then turns and hands, who is here, safety numbers.
 */
export function MemberTools() {
  return (
    <div className="side-body">
      <SafetyPanel />
      <SupportPanel />
      <HandsAndRound />
      <Roster />
    </div>
  );
}
