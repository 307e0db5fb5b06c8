/**
 * The fault tests (faultScenarios.ts) on a three-master Redis Cluster that this file starts on loopback ports and
 * stops after; each relay node reaches every master through a fault proxy of its own (KINDRED_REDIS_NODE_MAP).
 */
import { REDIS_CLUSTER } from './cluster';
import { describeFaults } from './faultScenarios';

describeFaults(REDIS_CLUSTER, {
  // Found by this test, fails whenever the two channels below hash to different masters (2 runs in 3). Roster notices
  // go on the adapter's shared channel, a session's messages on the room's channel: on a cluster two shards, so two
  // subscriber connections with no order between them. A node resumed from a pause reads the messages sent after a
  // removal before the removal notice, and pushes them to the removed member's socket. A fix belongs in the relay.
  pause: 'a resumed node pushes messages sent after a removal to the removed member (notice and messages on different shards)',
});
