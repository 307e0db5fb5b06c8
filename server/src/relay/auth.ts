/**
 * Authentication with the identity key: 'auth.challenge' hands out 32 random bytes bound to this connection,
 * single use and valid for CHALLENGE_TTL_MS; 'auth.prove' checks the member's Ed25519 signature over it
 * (verifyAuthChallenge, protocol core) and marks the socket as that member.
 */
import { randomBytes } from 'node:crypto';
import { verifyAuthChallenge } from '@kindred/shared/crypto';
import { toBase64Url } from '@kindred/shared/encoding';
import { PROTOCOL_VERSION, type ClientRequest, type ClientResult } from '@kindred/shared/protocol';
import type { Call } from './context';
import { refuse } from './dispatcher';

/** Long enough for a slow phone to sign and answer, short enough that a leaked challenge is soon worthless. */
export const CHALLENGE_TTL_MS = 60_000;

export async function authChallenge(call: Call): Promise<ClientResult<'auth.challenge'>> {
  const challenge = toBase64Url(randomBytes(32));
  call.conn.challenge = { value: challenge, expiresAt: call.relay.now() + CHALLENGE_TTL_MS };
  // The relay states its protocol version; a client refuses a relay that states none or another (RELAY_OUTDATED).
  return { challenge, protocol: PROTOCOL_VERSION };
}

export async function authProve(call: Call, req: ClientRequest<'auth.prove'>): Promise<ClientResult<'auth.prove'>> {
  const pending = call.conn.challenge;
  // Single use: whatever the outcome, this challenge is spent.
  call.conn.challenge = null;
  if (!pending || pending.value !== req.challenge) refuse('AUTH_FAILED', 'unknown challenge');
  if (call.relay.now() > pending.expiresAt) refuse('AUTH_EXPIRED');
  if (!verifyAuthChallenge(req.member, req.challenge, req.sig)) refuse('AUTH_FAILED');
  const current = call.socket.data.member;
  // One identity per connection: per-connection state (opened invites, sessions) belongs to that member.
  if (current !== undefined && current !== req.member) refuse('FORBIDDEN', 'already signed in as another member');
  call.socket.data.member = req.member;
  return {};
}
