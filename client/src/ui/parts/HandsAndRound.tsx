import { dispatch, useErrorFrom, useSession } from '../../store/sessionStore';
import { isFacilitator, meIn } from '../../store/selectors';
import type { RoundKind } from '../../store/engineLike';
import { nameOf } from '../names';
import { ErrorNotice } from './ErrorNotice';

const ROUND_NAME: Record<RoundKind, string> = { 'check-in': 'Check-in round', 'check-out': 'Check-out round', open: 'Talking-stick round' };

/** Raised hands and talking-stick rounds: whose turn it is, raise or lower a hand, pass. */
export function HandsAndRound() {
  const snapshot = useSession((s) => s.snapshot);
  const busy = useSession((s) => s.busy);
  const error = useErrorFrom('hand', 'pass', 'round');
  const me = meIn(snapshot);
  const round = snapshot.round;
  const facilitator = isFacilitator(snapshot);
  const myHand = me?.handRaised ?? false;
  const present = snapshot.roster.filter((m) => m.present).map((m) => m.memberId);

  return (
    <section className="panel hands" aria-labelledby="hands-h">
      <h2 id="hands-h">Turns</h2>
      {round ? (
        <div role="status">
          <p>
            <strong>{ROUND_NAME[round.kind]}.</strong>{' '}
            {round.holder === null
              ? 'Everyone has had their turn.'
              : round.holder === snapshot.me
                ? 'It is your turn. Write when you are ready, or pass.'
                : `It is ${nameOf(snapshot, round.holder)}'s turn.`}
          </p>
          {round.queue.length > 1 ? <p className="hint">Next: {round.queue.slice(1).map((id) => nameOf(snapshot, id)).join(', ')}</p> : null}
        </div>
      ) : (
        <p>No round is running: anyone may write.</p>
      )}
      <div className="row">
        <button type="button" aria-pressed={myHand} disabled={busy === 'hand'} onClick={() => void dispatch('hand', (e) => e.sendSignal({ type: 'hand', raised: !myHand }))}>
          {myHand ? 'Lower my hand' : 'Raise my hand'}
        </button>
        {round && (round.holder === snapshot.me || (facilitator && round.holder !== null)) ? (
          <button type="button" disabled={busy === 'pass'} onClick={() => void dispatch('pass', (e) => e.sendSignal({ type: 'round-pass' }))}>
            {round.holder === snapshot.me ? 'Pass' : 'Move to the next person'}
          </button>
        ) : null}
      </div>
      <h3>Raised hands</h3>
      {snapshot.hands.length === 0 ? (
        <p>No hands raised.</p>
      ) : (
        <ol className="hand-queue">
          {snapshot.hands.map((id) => (
            <li key={id}>
              {nameOf(snapshot, id)}
              {facilitator ? (
                <button
                  type="button"
                  className="link-button"
                  aria-label={`Give the talking stick to ${nameOf(snapshot, id)}`}
                  onClick={() =>
                    void dispatch('round', (e) =>
                      round ? e.sendSignal({ type: 'round-pass', to: id }) : e.sendSignal({ type: 'round-start', kind: 'open', order: [id] }),
                    )
                  }
                >
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
            <button type="button" onClick={() => void dispatch('round', (e) => e.sendSignal({ type: 'round-end' }))}>
              End the round
            </button>
          ) : (
            <>
              <button type="button" disabled={present.length === 0} onClick={() => void dispatch('round', (e) => e.sendSignal({ type: 'round-start', kind: 'check-in', order: present }))}>
                Start check-in
              </button>
              <button type="button" disabled={present.length === 0} onClick={() => void dispatch('round', (e) => e.sendSignal({ type: 'round-start', kind: 'check-out', order: present }))}>
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
