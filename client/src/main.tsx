/** Entry point: installs the real engine and identity crypto, reads the route once, renders. */
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { parseRoute, showRoute } from './store/route';
import { appStore } from './store/appStore';
import { installRealEngine } from './store/installEngine';
import { resumePlaceAtStart } from './store/placeResume';
import './styles/app.css';

installRealEngine();
const route = parseRoute(window.location.hash);
appStore.getState().followHash(route);
// Take the invite secret out of the address bar at once (it stays in memory for this tab only).
showRoute(route);
// A reloaded tab in a session takes its place back (the one-off key before the identity gate could make a new one).
resumePlaceAtStart();

const root = document.getElementById('root');
if (root) createRoot(root).render(<App />);
