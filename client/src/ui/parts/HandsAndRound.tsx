import type { RoundKind } from '@kindred/shared/protocol';
import { dispatch, useEngine, useErrorFrom, useSession } from '../../store/sessionStore';
import { EMPTY, isFacilitator, selectRound } from '../../store/selectors';
import { useNames } from '../names';
import { ErrorNotice } from './ErrorNotice';

const ROUND_NAME: Record<RoundKind, string> = { 'check-in': 'Check-in round', 'check-out': 'Check-out round', open: 'Talking-stick round' };

/** Raised hands and talking-stick rounds: whose turn it is, raise or lower a hand, pass. */
export function HandsAndRound() {
  const me = useEngine((s) => s.me);
  const hands = useEngine((s) => s.session?.hands ?? EMPTY);
  const present = useEngine((s) => s.session?.present ?? EMPTY);
  const round = useEngine(selectRound);
  const facilitator = useEngine(isFacilitator);
  const busy = useSession((s) => s.busy);
  const error = useErrorFrom('hand', 'pass', 'round');
  const nameOf = useNames();
  const myHand = useEngine((s) => s.session?.hands.includes(s.me) ?? false);

  /** Gives the stick to someone whose hand is up, and lowers that hand: it has been answered. */
  const giveStick = (id: string) =>
    void dispatch('round', async (e) => {
      if (round) await e.passStick(id);
      else await e.startRound('open', [id]);
      await e.lowerHand(id);
    });

  return (
    <section className="panel hands" aria-labelledby="hands-h">
      <h2 id="hands-h">Turns</h2>
      {round ? (
        <div role="status">
          <p>
            <strong>{ROUND_NAME[round.kind]}.</strong>{' '}
            {round.holder === null
              ? 'Everyone has had their turn.'
              : round.holder === me
                ? 'It is your turn. Write when you are ready, or pass.'
                : `It is ${nameOf(round.holder)}'s turn.`}
          </p>
          {round.queue.length > 1 ? <p className="hint">Next: {round.queue.slice(1).map((id) => nameOf(id)).join(', ')}</p> : null}
        </div>
      ) : (
        <p>No round is running: anyone may write.</p>
      )}
      <div className="row">
        <button type="button" aria-pressed={myHand} disabled={busy === 'hand'} onClick={() => void dispatch('hand', (e) => (myHand ? e.lowerHand() : e.raiseHand()))}>
          {myHand ? 'Lower my hand' : 'Raise my hand'}
        </button>
        {round && (round.holder === me || (facilitator && round.holder !== null)) ? (
          <button type="button" disabled={busy === 'pass'} onClick={() => void dispatch('pass', (e) => e.passStick())}>
            {round.holder === me ? 'Pass' : 'Move to the next person'}
          </button>
        ) : null}
      </div>
      <h3>Raised hands</h3>
      {hands.length === 0 ? (
        <p>No hands raised.</p>
      ) : (
        <ol className="hand-queue">
          {hands.map((id) => (
            <li key={id}>
              {nameOf(id)}
              {facilitator ? (
                <button type="button" className="link-button" aria-label={`Give the talking stick to ${nameOf(id)}`} onClick={() => giveStick(id)}>
                  Give the stick
                </button>
              ) : null}
            </li>
          ))}
        </ol>
      )}
      {facilitator ? (
        <div className="row">
          {round ? (
            <button type="button" onClick={() => void dispatch('round', (e) => e.endRound())}>
              End the round
            </button>
          ) : (
            <>
              <button type="button" disabled={present.length === 0} onClick={() => void dispatch('round', (e) => e.startRound('check-in', [...present]))}>
                Start check-in
              </button>
              <button type="button" disabled={present.length === 0} onClick={() => void dispatch('round', (e) => e.startRound('check-out', [...present]))}>
                Start check-out
              </button>
            </>
          )}
        </div>
      ) : null}
      <ErrorNotice error={error} />
    </section>
  );
}
