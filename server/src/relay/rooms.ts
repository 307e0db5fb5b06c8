/**
 * Room names. Group and session ids are both in every session room name: a session id is chosen by a facilitator,
 * so two groups could name the same id, and their rooms must never meet.
 */
export const rooms = {
  group: (groupId: string) => `grp:${groupId}`,
  session: (groupId: string, sessionId: string) => `sess:${groupId}:${sessionId}`,
  waiting: (groupId: string, sessionId: string) => `wait:${groupId}:${sessionId}`,
  /**
   * Every socket of one member in one group (joined, waiting, or following the roster): targeted pushes and
   * evictions. One session is open per group at a time, so no session id is needed.
   */
  member: (groupId: string, member: string) => `mem:${groupId}:${member}`,
};
