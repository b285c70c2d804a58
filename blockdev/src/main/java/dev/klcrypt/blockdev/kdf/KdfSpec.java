package dev.klcrypt.blockdev.kdf;

import java.util.Objects;

/**
 * How a keyslot's key is derived from a passphrase. A spec is <em>concrete</em> when every cost is
 * set (as read from a header); a spec for creating a keyslot may leave costs at 0 to mean
 * "benchmark / default" ({@link #iterTimeMillis}).
 *
 * @param type PBKDF2, ARGON2I or ARGON2ID
 * @param hash PBKDF2's HMAC hash (ignored by Argon2)
 * @param iterations PBKDF2 iterations (0 = benchmark for {@code iterTimeMillis})
 * @param memoryKiB Argon2 memory in KiB (0 = cryptsetup's default 1 GiB, capped to half the heap)
 * @param time Argon2 passes (0 = cryptsetup's minimum, 4)
 * @param parallelism Argon2 lanes (0 = min(4, cores))
 * @param iterTimeMillis target unlock time when iterations are benchmarked
 */
public record KdfSpec(
    Type type,
    HashAlgorithm hash,
    int iterations,
    int memoryKiB,
    int time,
    int parallelism,
    int iterTimeMillis) {

  /** KDF algorithms, with their LUKS2 JSON spelling. */
  public enum Type {
    PBKDF2("pbkdf2"),
    ARGON2I("argon2i"),
    ARGON2ID("argon2id");

    private final String luksName;

    Type(String luksName) {
      this.luksName = luksName;
    }

    public String luksName() {
      return luksName;
    }
  }

  public KdfSpec {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(hash, "hash");
    if (iterations < 0 || memoryKiB < 0 || time < 0 || parallelism < 0 || iterTimeMillis < 0) {
      throw new IllegalArgumentException("KDF costs must not be negative");
    }
  }

  /** PBKDF2-HMAC-SHA256 with a fixed iteration count (cryptsetup's minimum is 1000). */
  public static KdfSpec pbkdf2(int iterations) {
    return new KdfSpec(Type.PBKDF2, HashAlgorithm.SHA256, iterations, 0, 0, 0, 2000);
  }

  /** PBKDF2 benchmarked for {@code iterTimeMillis}. */
  public static KdfSpec pbkdf2Timed(HashAlgorithm hash, int iterTimeMillis) {
    return new KdfSpec(Type.PBKDF2, hash, 0, 0, 0, 0, iterTimeMillis);
  }

  /** Argon2id with explicit costs. */
  public static KdfSpec argon2id(int memoryKiB, int time, int parallelism) {
    return new KdfSpec(Type.ARGON2ID, HashAlgorithm.SHA256, 0, memoryKiB, time, parallelism, 2000);
  }

  /**
   * cryptsetup's LUKS2 default: argon2id, 1 GiB (capped to half the heap), 4 passes, up to 4 lanes.
   */
  public static KdfSpec defaults() {
    return new KdfSpec(Type.ARGON2ID, HashAlgorithm.SHA256, 0, 0, 0, 0, 2000);
  }

  public boolean isArgon2() {
    return type != Type.PBKDF2;
  }
}
