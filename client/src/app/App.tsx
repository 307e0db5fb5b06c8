import { useEffect } from 'react';
import { useApp, appStore } from '../store/appStore';
import { CrisisPanel } from '../ui/parts/CrisisPanel';
import { TopBar } from '../ui/parts/TopBar';
import { CreateGroupScreen } from '../ui/screens/CreateGroupScreen';
import { HomeScreen } from '../ui/screens/HomeScreen';
import { JoinScreen } from '../ui/screens/JoinScreen';
import { MyGroupsScreen } from '../ui/screens/MyGroupsScreen';
import { PhaseView } from '../ui/screens/PhaseView';
import { ResumeScreen } from '../ui/screens/ResumeScreen';
import { IdentityGate } from '../ui/parts/IdentityGate';
import { useIdentity } from '../store/identityStore';
import { useEngine } from '../store/sessionStore';
import { doubleEscape, quickExit } from '../store/quickExit';
import { followHistoryEntry, parseRoute, showRoute } from '../store/route';

/** The shell: skip link, banner (crisis help, quick exit), the crisis panel, and the screen for the route. */
export function App() {
  const exited = useApp((s) => s.exited);
  const phase = useEngine((s) => s.phase);
  useEffect(() => {
    const onKey = doubleEscape(quickExit);
    const onHash = () => {
      followHistoryEntry();
      const route = parseRoute(window.location.hash);
      appStore.getState().followHash(route);
      showRoute(route); // the invite secret is not left in the address bar
    };
    window.addEventListener('keydown', onKey);
    window.addEventListener('hashchange', onHash);
    return () => {
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('hashchange', onHash);
    };
  }, []);
  if (exited) return null;
  return (
    // In a session the page is exactly the screen's height: the conversation scrolls inside, the composer stays put.
    <div className={phase === 'in-session' ? 'shell shell-fixed' : 'shell'}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <TopBar />
      <CrisisPanel />
      <Screen />
    </div>
  );
}

function Screen() {
  const route = useApp((s) => s.route);
  const identity = useIdentity((s) => s.status);
  const phase = useEngine((s) => s.phase);
  const resuming = useApp((s) => s.resuming);
  if (resuming === 'opening' || resuming === 'stalled') return <ResumeScreen />;
  if (resuming === 'unlock' && identity !== 'ready') return <IdentityGate />;
  switch (route.name) {
    case 'home':
      return <HomeScreen />;
    case 'join':
      return <JoinScreen />;
    case 'create':
      if (identity !== 'ready') return <IdentityGate />;
      return phase === 'idle' ? <CreateGroupScreen /> : <PhaseView />;
    case 'group':
      if (identity !== 'ready' || phase === 'idle') return <HomeScreen />;
      return <PhaseView />;
    case 'groups':
      return <MyGroupsScreen />;
  }
}
