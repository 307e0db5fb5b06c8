/**
 * The fault tests (faultScenarios.ts) on a three-master Redis Cluster that this file starts on loopback ports and
 * stops after; each relay node reaches every master through a fault proxy of its own (KINDRED_REDIS_NODE_MAP).
 */
import { REDIS_CLUSTER } from './cluster';
import { describeFaults } from './faultScenarios';

describeFaults(REDIS_CLUSTER);
