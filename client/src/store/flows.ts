/** The few UI steps that are more than one engine call. */
import type { GroupCardBody } from '@kindred/shared/protocol';
import type { CardFields, KindredClient } from '../engine';
import { noteOpenedWith } from './placeKeeper';

export interface CreateGroupInput extends CardFields {
  expirySeconds: number;
  /** The facilitator's own pseudonym. */
  displayName: string;
}

export async function createGroup(client: KindredClient, input: CreateGroupInput): Promise<void> {
  const { displayName, expirySeconds, ...card } = input;
  client.setDisplayName(displayName);
  await client.createGroup(card, { expirySeconds, slowModeSeconds: 0, muteAllButFacilitators: false });
}

/** Opens an invite link (its fragment); a one-off key comes back to the group by it after a reload (placeKeeper.ts). */
export async function openInvite(client: KindredClient, fragment: string): Promise<GroupCardBody> {
  const card = await client.openInvite(fragment);
  noteOpenedWith(fragment);
  return card;
}

/** Enters the open session under `displayName` (members then wait until admitted). */
export async function enterAs(client: KindredClient, displayName: string): Promise<void> {
  client.setDisplayName(displayName);
  await client.enterSession();
}

/** Facilitators: open a session, accept their own rules for it, and enter it. */
export async function openAndEnter(client: KindredClient): Promise<void> {
  await client.openSession();
  client.acceptRules(true);
  await client.enterSession();
}
