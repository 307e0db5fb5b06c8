/** The fault tests (faultScenarios.ts) on the machine's Redis, each relay node behind a fault proxy of its own. */
import { ONE_REDIS } from './cluster';
import { describeFaults } from './faultScenarios';

describeFaults(ONE_REDIS);
