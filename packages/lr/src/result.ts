// SPDX-License-Identifier: Apache-2.0
// What the LR decision returns: a speed, or a refusal with its code. The codes are the legal
// vocabulary of the measurement record; each one is explained here for the records' readers.

/** Why the LR software gives no speed for a reading. */
export type RefusalCode =
  | 'NO_VEHICLE'
  | 'INCOMPLETE_EVENT'
  | 'LOOP_FAULT'
  | 'INCONSISTENT_EDGES'
  | 'TWO_VEHICLES'
  | 'OUT_OF_RANGE'
  | 'SAMPLE_RATE_MISMATCH'
  | 'INVALID_GEOMETRY';

/** Every refusal code, with what it means, in the order the decision tests them. */
export const REFUSAL_CODES: Readonly<Record<RefusalCode, string>> = Object.freeze({
  INVALID_GEOMETRY: 'the registered loop geometry is outside the range the software measures with',
  SAMPLE_RATE_MISMATCH: 'the reading was sampled at another rate than the meter registered: its timing cannot be trusted',
  LOOP_FAULT: 'a loop is dead, stuck, saturated, or saw no vehicle while the other did, or the loop gains differ too much',
  INCOMPLETE_EVENT: 'the capture window does not hold the whole passage (vehicle present at its start or end, or loop B never fired)',
  NO_VEHICLE: 'no vehicle on either loop (a false trigger)',
  TWO_VEHICLES:
    'two vehicles in the detection zone at once: a loop returns to its baseline between two occupancies, or edges move at another speed than the measured vehicle (OIML R 91, 2.2)',
  INCONSISTENT_EDGES:
    "the loops' edges do not describe one vehicle in one plausible motion (wrong direction, implausible acceleration, or loops showing different vehicles)",
  OUT_OF_RANGE: "the speed is outside the meter type's measuring range",
});

export interface SpeedMeasurement {
  kind: 'measurement';
  /** Rounded to 0.1 km/h. */
  speedKmh: number;
  /** Rounded to 0.1 m; indicative, not legally relevant. */
  vehicleLengthM: number;
  quality: Record<string, number>;
}

export interface SpeedRefusal {
  kind: 'refusal';
  code: RefusalCode;
  detail: string;
}

export type SpeedResult = SpeedMeasurement | SpeedRefusal;

export function refuse(code: RefusalCode, detail: string): SpeedRefusal {
  return { kind: 'refusal', code, detail };
}
