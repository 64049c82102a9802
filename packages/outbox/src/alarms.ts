// SPDX-License-Identifier: Apache-2.0
// What a meter raises for its operator. A sealed legal instrument does not decide on its own to
// drop data, so anything that stops or endangers delivery is an alarm, not a log line.

export type AlarmCode =
  | 'OUTBOX_NEAR_FULL' // fill share reached nearFullShare: the meter will stop capturing soon
  | 'OUTBOX_FULL' // a capture was refused: the meter is out of service until readings drain
  | 'OUTBOX_CLEARED' // the fill share fell below clearShare: capturing normally again
  | 'OUTBOX_FAILED' // a write failed: the outbox is fail-stopped until restarted
  | 'DELIVERY_STALLED' // delivery of a meter's readings keeps failing (network, overload)
  | 'DELIVERY_BLOCKED' // the ledger refuses the meter's readings for a reason an operator must fix (not registered, revoked, model not approved)
  | 'DELIVERY_RESUMED' // a stalled or blocked meter delivers again
  | 'READING_QUARANTINED' // the ledger will never accept this reading (bad signature, its sequence holds another reading): kept aside, not dropped
  | 'EVIDENCE_QUARANTINED'; // the evidence store refused a plate image for good: kept aside, not dropped

export type AlarmLevel = 'info' | 'warning' | 'critical';

export interface Alarm {
  readonly code: AlarmCode;
  readonly level: AlarmLevel;
  /** Wall-clock time, ms since the epoch. */
  readonly atMs: number;
  readonly message: string;
  readonly meterId?: string;
  readonly sequence?: number;
  readonly details?: Record<string, unknown>;
}

export type AlarmListener = (alarm: Alarm) => void;

export const ALARM_LEVELS: Record<AlarmCode, AlarmLevel> = {
  OUTBOX_NEAR_FULL: 'warning',
  OUTBOX_FULL: 'critical',
  OUTBOX_CLEARED: 'info',
  OUTBOX_FAILED: 'critical',
  DELIVERY_STALLED: 'warning',
  DELIVERY_BLOCKED: 'critical',
  DELIVERY_RESUMED: 'info',
  READING_QUARANTINED: 'critical',
  EVIDENCE_QUARANTINED: 'critical',
};

export function alarm(
  code: AlarmCode,
  message: string,
  extra: { meterId?: string; sequence?: number; details?: Record<string, unknown> } = {},
): Alarm {
  return { code, level: ALARM_LEVELS[code], atMs: Date.now(), message, ...extra };
}
