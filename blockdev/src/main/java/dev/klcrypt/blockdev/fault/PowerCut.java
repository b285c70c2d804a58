package dev.klcrypt.blockdev.fault;

/**
 * A power cut (LazyFS "clear-cache"): every write and discard not yet made durable by a flush is
 * lost. Afterwards the store is either {@link AfterCut#OFF} (every operation fails with ENXIO until
 * power is restored, e.g. by {@code fault clear}) or {@link AfterCut#CONTINUE} (it keeps serving
 * the surviving, flushed state).
 */
public record PowerCut(AfterCut then) implements FaultSpec {

  /** What the store does after the cut. */
  public enum AfterCut {
    OFF,
    CONTINUE
  }

  @Override
  public boolean oneShot() {
    return true;
  }

  @Override
  public String text() {
    return then == AfterCut.OFF ? "powercut" : "powercut then=continue";
  }
}
