package dev.klcrypt.blockdev.fault;

/**
 * What a scenario step does. Rules ({@link ErrorRule}, {@link FlakeyRule}, {@link DropWritesRule},
 * {@link CorruptRule}, {@link DelayRule}) act on backing-store operations while they are in effect;
 * actions ({@link PowerCut}, {@link ClearFaults}, {@link KeyLockerFaultSpec}) happen once when
 * their trigger fires.
 */
public sealed interface FaultSpec
    permits ErrorRule,
        FlakeyRule,
        DropWritesRule,
        CorruptRule,
        DelayRule,
        PowerCut,
        ClearFaults,
        KeyLockerFaultSpec {

  /** The scenario-file spelling of this fault, without trigger. */
  String text();

  /** Whether this happens once (an action) rather than staying in effect (a rule). */
  default boolean oneShot() {
    return false;
  }
}
