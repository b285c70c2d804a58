package dev.klcrypt.blockdev.fault;

import java.util.Locale;

/**
 * What was injected, as counted in {@link FaultCounters} (and by metrics as a {@code kind} tag).
 */
public enum FaultKind {
  /** An operation failed by an {@link ErrorRule}. */
  ERROR,
  /** An operation failed or dropped during a {@link FlakeyRule} down interval. */
  FLAKEY,
  /** A write, discard or flush acknowledged but not done ({@link DropWritesRule}). */
  DROP,
  /** An operation whose bytes were changed ({@link CorruptRule}). */
  CORRUPT,
  /** An operation held back ({@link DelayRule}). */
  DELAY,
  /** A power cut that threw away unflushed writes ({@link PowerCut}). */
  POWER_CUT,
  /** An operation refused because the store is powered off after a cut. */
  POWERED_OFF,
  /** A Key Locker fault handed to the platform. */
  KEYLOCKER;

  /** Lower-case tag value for metrics. */
  public String tag() {
    return name().toLowerCase(Locale.ROOT);
  }
}
