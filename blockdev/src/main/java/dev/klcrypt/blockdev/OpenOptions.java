package dev.klcrypt.blockdev;

import dev.klcrypt.blockdev.kdf.Kdf;

/**
 * How {@link LuksImage#open} opens a volume.
 *
 * @param allowDiscards allow discards even when the header's persistent flag is not set
 * @param kdfMemoryCeilingKiB keyslots whose Argon2 memory cost is above this are refused before
 *     allocating
 */
public record OpenOptions(boolean readOnly, boolean allowDiscards, long kdfMemoryCeilingKiB) {

  public OpenOptions {
    if (kdfMemoryCeilingKiB <= 0) {
      throw new IllegalArgumentException("KDF memory ceiling must be positive");
    }
  }

  /** Read-write, discards as the header says, ceiling = 3/4 of the JVM heap. */
  public static OpenOptions defaults() {
    return new OpenOptions(false, false, Kdf.defaultMemoryCeilingKiB());
  }

  public OpenOptions withReadOnly(boolean ro) {
    return new OpenOptions(ro, allowDiscards, kdfMemoryCeilingKiB);
  }

  public OpenOptions withAllowDiscards(boolean on) {
    return new OpenOptions(readOnly, on, kdfMemoryCeilingKiB);
  }

  public OpenOptions withKdfMemoryCeilingKiB(long kib) {
    return new OpenOptions(readOnly, allowDiscards, kib);
  }
}
