/** Safety numbers are derived (never stored) from two public identity keys, by the engine with shared/src/crypto. */
import { safetyNumberQrPayload } from '@kindred/shared/crypto';
import { KindredError } from '@kindred/shared/errors';
import { currentEngine } from './engineHost';

export interface SafetyNumber {
  /** Groups of five digits, identical on both devices. */
  digits: string;
  /** What the QR code encodes (the same value, machine-readable). */
  qrPayload: string;
}

/** The safety number of my key and `member`'s. Throws a KindredError. */
export function safetyNumberWith(member: string): SafetyNumber {
  const engine = currentEngine();
  if (!engine) throw new KindredError('INTERNAL', 'no engine');
  return { digits: engine.safetyNumber(member), qrPayload: safetyNumberQrPayload(engine.me, member) };
}
