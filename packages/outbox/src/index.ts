// SPDX-License-Identifier: Apache-2.0
// The meter's store-and-forward (paper, VIII-D): a persistent, bounded outbox; exactly-once
// delivery by meter sequence; plate images handed to the evidence store.
export { OutboxError, type OutboxErrorCode } from './errors';
export { alarm, ALARM_LEVELS, type Alarm, type AlarmCode, type AlarmLevel, type AlarmListener } from './alarms';
export {
  OutboxStore,
  DEFAULT_OUTBOX_LIMITS,
  type OutboxLimits,
  type OutboxEntry,
  type OutboxStats,
  type MeterBacklog,
  type EntryStage,
  type StoredImage,
  type DeliveredSummary,
  type AppendInput,
  type OpenOutboxOptions,
} from './store';
export { FieldMeter, type FieldMeterOptions, type FieldCapture } from './fieldmeter';
export {
  Forwarder,
  DEFAULT_BACKOFF,
  type ForwarderOptions,
  type ForwarderEvent,
  type ForwarderStats,
  type BackoffPolicy,
  type EvidencePolicy,
} from './forwarder';
export {
  clientLedgerSink,
  connectingLedgerSink,
  evidenceStoreSink,
  classifyClientError,
  classifyEvidenceError,
  type LedgerSink,
  type EvidenceSink,
  type LedgerRecord,
  type DeliveryVerdict,
  type EvidenceOutcome,
} from './sink';
