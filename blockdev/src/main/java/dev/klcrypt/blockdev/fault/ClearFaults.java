package dev.klcrypt.blockdev.fault;

/**
 * Ends every rule in effect when it fires (steps still waiting for their trigger stay armed; power
 * is not restored).
 */
public record ClearFaults() implements FaultSpec {
  @Override
  public boolean oneShot() {
    return true;
  }

  @Override
  public String text() {
    return "clear";
  }
}
