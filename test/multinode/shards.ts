/**
 * Where a session's traffic lives on a Redis Cluster: a session's messages go on its room's sharded channel, roster
 * notices between nodes on the adapter's shared channel. On different masters the two reach a node over two
 * connections, with no order between them: the case a node that missed a notice must still get right.
 */
import { createClient } from 'redis';
import { roomChannel, rooms, sharedChannel } from '@kindred/server';

/** Master ("host:port") serving each slot range (CLUSTER SLOTS). */
async function slotOwners(url: string): Promise<{ from: number; to: number; master: string }[]> {
  const client = createClient({ url });
  await client.connect();
  try {
    const slots = (await client.sendCommand(['CLUSTER', 'SLOTS'])) as [number, number, [string, number, ...unknown[]], ...unknown[]][];
    return slots.map(([from, to, [host, port]]) => ({ from, to, master: `${host}:${port}` }));
  } finally {
    client.destroy();
  }
}

async function slotOf(url: string, channel: string): Promise<number> {
  const client = createClient({ url });
  await client.connect();
  try {
    return Number(await client.sendCommand(['CLUSTER', 'KEYSLOT', channel]));
  } finally {
    client.destroy();
  }
}

/** Whether the session's message channel and the shared channel of this key prefix are on different masters. */
export async function sessionApartFromNotices(url: string, keyPrefix: string, groupId: string, sessionId: string): Promise<boolean> {
  const owners = await slotOwners(url);
  const ownerOf = async (channel: string): Promise<string | undefined> => {
    const slot = await slotOf(url, channel);
    return owners.find((o) => slot >= o.from && slot <= o.to)?.master;
  };
  const [session, notices] = await Promise.all([ownerOf(roomChannel(keyPrefix, rooms.session(groupId, sessionId))), ownerOf(sharedChannel(keyPrefix))]);
  return session !== undefined && notices !== undefined && session !== notices;
}
