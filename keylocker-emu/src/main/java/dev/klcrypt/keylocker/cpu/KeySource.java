package dev.klcrypt.keylocker.cpu;

/** LOADIWKEY's KeySource (EAX[4:1]). */
public enum KeySource {
  /** 0: the registers software provides are the IWKey (about 130 cycles). */
  SOFTWARE(0, 130),
  /** 1: the registers are XORed with 384 bits of CPU randomness (about 25,000 cycles). */
  HARDWARE_RANDOM(1, 25_000);

  private final int code;
  private final long cycles;

  KeySource(int code, long cycles) {
    this.code = code;
    this.cycles = cycles;
  }

  public int code() {
    return code;
  }

  /** The spec's cost figure for one LOADIWKEY with this source. */
  public long emulatedCycles() {
    return cycles;
  }
}
