package dev.klcrypt.blockdev.kdf;

import dev.klcrypt.blockdev.KdfMemoryLimitException;
import dev.klcrypt.keylocker.memory.ClearKey;
import java.util.Arrays;

/**
 * Key derivation for keyslots and digests: PBKDF2-HMAC (our loop over Bouncy Castle's digests) and
 * Argon2i/id v1.3 (libargon2, the library cryptsetup uses, one thread per lane).
 *
 * <p>Argon2 reads the passphrase from and writes the key into locked off-heap memory. PBKDF2 works
 * on {@code byte[]}, so the passphrase and the derived key briefly exist on the heap: both arrays
 * are wiped right after use, and the output is moved into a {@link ClearKey} at once.
 */
public final class Kdf {
  /** cryptsetup's lower bounds. */
  public static final int MIN_PBKDF2_ITERATIONS = 1000;

  public static final int MIN_ARGON2_TIME = 4;
  public static final int DEFAULT_ARGON2_MEMORY_KIB = 1024 * 1024;
  public static final int MAX_ARGON2_MEMORY_KIB = 4 * 1024 * 1024;

  private Kdf() {}

  /**
   * A default ceiling for Argon2 memory: half of the machine's RAM (cryptsetup's cap). Argon2's
   * memory is allocated by libargon2, off the Java heap.
   */
  public static long defaultMemoryCeilingKiB() {
    try {
      for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 2;
        }
      }
    } catch (java.io.IOException | NumberFormatException e) {
      // fall through to a conservative default
    }
    return DEFAULT_ARGON2_MEMORY_KIB;
  }

  /**
   * Derives {@code length} bytes from the passphrase with concrete costs. Refuses before allocating
   * when an Argon2 memory cost exceeds {@code memoryCeilingKiB}.
   *
   * @param where names the keyslot in messages, e.g. "keyslot 1"
   */
  public static ClearKey derive(
      Passphrase passphrase,
      KdfSpec spec,
      byte[] salt,
      int length,
      long memoryCeilingKiB,
      String where)
      throws KdfMemoryLimitException {
    if (spec.isArgon2() && spec.memoryKiB() > memoryCeilingKiB) {
      throw new KdfMemoryLimitException(
          where + " (" + spec.type().luksName() + ")", spec.memoryKiB(), memoryCeilingKiB);
    }
    if (spec.isArgon2()) {
      ClearKey key = ClearKey.allocate(length);
      try {
        Argon2Native.hash(
            spec.type() == KdfSpec.Type.ARGON2I ? Argon2Native.ARGON2_I : Argon2Native.ARGON2_ID,
            spec.time(),
            spec.memoryKiB(),
            spec.parallelism(),
            passphrase.segmentForKdf(),
            salt,
            key.segment());
        return key;
      } catch (RuntimeException e) {
        key.close();
        throw e;
      }
    }
    byte[] pw = passphrase.heapCopyForKdf();
    byte[] out = null;
    try {
      out = pbkdf2(spec.hash(), pw, salt, spec.iterations(), length);
      return ClearKey.copyOf(out, 0, length);
    } finally {
      Arrays.fill(pw, (byte) 0);
      if (out != null) {
        Arrays.fill(out, (byte) 0);
      }
    }
  }

  /**
   * PBKDF2 over a clear key (the LUKS volume-key digest). The digest itself is not secret; the
   * key's heap copy is wiped before returning.
   */
  public static byte[] pbkdf2OfKey(
      ClearKey key, HashAlgorithm hash, byte[] salt, int iterations, int length) {
    byte[] k = new byte[key.length()];
    try {
      java.lang.foreign.MemorySegment.copy(
          key.segment(), java.lang.foreign.ValueLayout.JAVA_BYTE, 0, k, 0, k.length);
      return pbkdf2(hash, k, salt, iterations, length);
    } finally {
      Arrays.fill(k, (byte) 0);
    }
  }

  /** Fills the costs a spec leaves open: benchmarked PBKDF2 iterations, Argon2 defaults. */
  public static KdfSpec resolve(KdfSpec spec) {
    if (!spec.isArgon2()) {
      int iter = spec.iterations();
      if (iter == 0) {
        iter = benchmarkPbkdf2(spec.hash(), spec.iterTimeMillis());
      }
      return new KdfSpec(
          spec.type(),
          spec.hash(),
          Math.max(MIN_PBKDF2_ITERATIONS, iter),
          0,
          0,
          0,
          spec.iterTimeMillis());
    }
    int mem = spec.memoryKiB();
    if (mem == 0) {
      mem = (int) Math.min(DEFAULT_ARGON2_MEMORY_KIB, defaultMemoryCeilingKiB() / 3 * 2);
    }
    int time = spec.time() == 0 ? MIN_ARGON2_TIME : spec.time();
    int cpus =
        spec.parallelism() == 0
            ? Math.min(4, Runtime.getRuntime().availableProcessors())
            : spec.parallelism();
    return new KdfSpec(spec.type(), spec.hash(), 0, mem, time, cpus, spec.iterTimeMillis());
  }

  /**
   * Iterations of PBKDF2-HMAC-{@code hash} that take about {@code millis} here (cryptsetup's
   * --iter-time), at least {@link #MIN_PBKDF2_ITERATIONS}.
   */
  public static int benchmarkPbkdf2(HashAlgorithm hash, int millis) {
    byte[] pw = "klcrypt-benchmark".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    byte[] salt = new byte[32];
    int probe = 20_000;
    long t0 = System.nanoTime();
    byte[] out = pbkdf2(hash, pw, salt, probe, 32);
    long ns = Math.max(1, System.nanoTime() - t0);
    Arrays.fill(out, (byte) 0);
    long iter = probe * (millis * 1_000_000L) / ns;
    return (int) Math.max(MIN_PBKDF2_ITERATIONS, Math.min(Integer.MAX_VALUE, iter));
  }

  static byte[] pbkdf2(HashAlgorithm hash, byte[] pw, byte[] salt, int iterations, int length) {
    byte[] out = new byte[length];
    Pbkdf2.derive(hash, pw, salt, iterations, out);
    return out;
  }
}
