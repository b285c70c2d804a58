package dev.klcrypt.blockdev;

/** A keyslot's Argon2 memory cost is above the configured ceiling: refused before allocating. */
public final class KdfMemoryLimitException extends LuksException {
  private static final long serialVersionUID = 1L;
  private final long neededKiB;
  private final long ceilingKiB;

  public KdfMemoryLimitException(String where, long neededKiB, long ceilingKiB) {
    super(
        where
            + " needs "
            + neededKiB
            + " KiB of memory for its KDF, above the ceiling of "
            + ceilingKiB
            + " KiB (raise kdfMemoryCeilingKiB)",
        null);
    this.neededKiB = neededKiB;
    this.ceilingKiB = ceilingKiB;
  }

  public long neededKiB() {
    return neededKiB;
  }

  public long ceilingKiB() {
    return ceilingKiB;
  }
}
