import { useEngine } from '../../store/sessionStore';
import { isFacilitator } from '../../store/selectors';
import { ClosedScreen } from './ClosedScreen';
import { EnterScreen } from './EnterScreen';
import { FacilitatorLobby } from './FacilitatorLobby';
import { NoSessionScreen } from './NoSessionScreen';
import { RulesScreen } from './RulesScreen';
import { SessionScreen } from './SessionScreen';
import { WaitingScreen } from './WaitingScreen';

/**
 * What the engine's phase allows. The order matters: until the rules of the open session are accepted, only the
 * rules screen can render: no roster, waiting room or chat is reachable.
 */
export function PhaseView() {
  const phase = useEngine((s) => s.phase);
  const facilitator = useEngine(isFacilitator);
  switch (phase) {
    case 'idle':
      return null;
    case 'card':
      return <RulesScreen />;
    case 'no-session':
      return facilitator ? <FacilitatorLobby /> : <NoSessionScreen />;
    case 'accepted':
    case 'entering':
      return <EnterScreen />;
    case 'waiting':
      return <WaitingScreen />;
    case 'in-session':
      return <SessionScreen />;
    case 'closed':
      return <ClosedScreen />;
  }
}
