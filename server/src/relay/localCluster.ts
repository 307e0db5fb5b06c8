/**
 * The cluster of a single relay node: session logs in memory, presence in this node's maps. There are no other nodes
 * to tell, to wait for or to catch up with, so those calls do nothing (and cost nothing); nothing here touches Redis.
 */
import type { BufferLimits } from './bufferLimits';
import type { RelayCluster } from './cluster';
import { localDirectory } from './sessionDirectory';
import { MemorySessionLogs } from './sessionLog';

const DONE: Promise<void> = Promise.resolve();

export function localCluster(limits: BufferLimits): RelayCluster {
  return {
    logs: new MemorySessionLogs(limits),
    directory: localDirectory,
    // No other node appends: this node's roster is the stored one.
    catchUp: () => DONE,
    // No other node to tell.
    rosterAppended: () => DONE,
    // The in-memory adapter delivers to this node's rooms as soon as a socket joins them.
    subscribed: () => DONE,
    // No connection to lose.
    watchConnection: () => undefined,
  };
}
