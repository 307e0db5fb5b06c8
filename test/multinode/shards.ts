/**
 * Where a session's traffic lives on a Redis Cluster: a session's messages go on its room's sharded channel, roster
 * notices between nodes on the adapter's shared channel. On different masters the two reach a node over two
 * connections, with no order between them: the case a node that missed a notice must still get right.
 */
import { createClient } from 'redis';
import { roomChannel, rooms, sharedChannel } from '@kindred/server';

type SlotRange = [from: number, to: number, master: [host: string, port: number, ...rest: unknown[]], ...replicas: unknown[]];

/** Whether the session's message channel and the shared channel of this key prefix are on different masters. */
export async function sessionApartFromNotices(url: string, keyPrefix: string, groupId: string, sessionId: string): Promise<boolean> {
  const client = createClient({ url });
  await client.connect();
  try {
    const ranges = (await client.sendCommand(['CLUSTER', 'SLOTS'])) as SlotRange[];
    const ownerOf = async (channel: string): Promise<string | undefined> => {
      const slot = Number(await client.sendCommand(['CLUSTER', 'KEYSLOT', channel]));
      const range = ranges.find(([from, to]) => slot >= from && slot <= to);
      return range ? `${range[2][0]}:${range[2][1]}` : undefined;
    };
    const session = await ownerOf(roomChannel(keyPrefix, rooms.session(groupId, sessionId)));
    const notices = await ownerOf(sharedChannel(keyPrefix));
    return session !== undefined && notices !== undefined && session !== notices;
  } finally {
    client.destroy();
  }
}
