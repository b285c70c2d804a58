package dev.klcrypt.blockdev.fault;

/**
 * One armed step as {@code klcrypt fault list} shows it: its id, canonical step text (with any seed
 * that was chosen for it, so the run can be repeated), its state and how often it injected.
 */
public record ArmedFault(long id, String step, State state, long injections) {

  /** Where an armed step is in its life. */
  public enum State {
    /** Waiting for its trigger. */
    PENDING,
    /** A rule in effect. */
    ACTIVE,
    /**
     * An action that has happened, a rule whose {@code times} budget is spent, or a rule ended by
     * {@code clear}.
     */
    DONE
  }
}
