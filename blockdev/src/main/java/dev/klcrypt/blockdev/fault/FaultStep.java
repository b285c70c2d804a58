package dev.klcrypt.blockdev.fault;

/**
 * One scenario step (or one {@code klcrypt fault add} command): a trigger and the fault it arms.
 */
public record FaultStep(Trigger trigger, FaultSpec fault) {

  /** A step in effect at once. */
  public static FaultStep now(FaultSpec fault) {
    return new FaultStep(new Trigger.Now(), fault);
  }

  /**
   * The canonical step line; {@link ScenarioParser#parseStep(String)} reads it back to an equal
   * step.
   */
  public String text() {
    return trigger.text() + " " + fault.text();
  }
}
