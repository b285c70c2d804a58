package dev.klcrypt.blockdev.kdf;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Argon2i/Argon2id through libargon2 (the reference implementation that cryptsetup itself links,
 * Debian {@code libargon2-1}), called through FFM.
 *
 * <p>Why not Bouncy Castle here: its Argon2 fills lanes one after another, where cryptsetup runs a
 * thread per lane (so unlocking a default keyslot took 2-3.6x cryptsetup's time), and it takes and
 * returns heap arrays. libargon2 runs {@code parallelism} threads, reads the passphrase from and
 * writes the key into locked off-heap memory, and allocates its working memory off the Java heap.
 */
@SuppressWarnings("restricted") // the one place that binds libargon2
final class Argon2Native {
  static final int ARGON2_I = 1;
  static final int ARGON2_ID = 2;
  private static final int VERSION_13 = 0x13;
  private static final String LIBRARY = "libargon2.so.1";

  private static final MethodHandle HASH;
  private static final MethodHandle ERROR_MESSAGE;

  static {
    Linker linker = Linker.nativeLinker();
    SymbolLookup lib = SymbolLookup.libraryLookup(LIBRARY, Arena.global());
    ValueLayout.OfInt i = ValueLayout.JAVA_INT;
    ValueLayout.OfLong l = ValueLayout.JAVA_LONG;
    ValueLayout a = ValueLayout.ADDRESS;
    // int argon2_hash(uint32 t, uint32 m, uint32 p, const void *pwd, size_t pwdlen, const void
    // *salt,
    //   size_t saltlen, void *hash, size_t hashlen, char *encoded, size_t encodedlen, argon2_type,
    //   uint32 version)
    HASH =
        linker.downcallHandle(
            lib.find("argon2_hash").orElseThrow(),
            FunctionDescriptor.of(i, i, i, i, a, l, a, l, a, l, a, l, i, i));
    ERROR_MESSAGE =
        linker.downcallHandle(
            lib.find("argon2_error_message").orElseThrow(), FunctionDescriptor.of(a, i));
  }

  private Argon2Native() {}

  /**
   * Derives {@code out.byteSize()} bytes.
   *
   * @throws IllegalStateException with libargon2's message when it refuses (e.g. out of memory)
   */
  static void hash(
      int type,
      int time,
      int memoryKiB,
      int parallelism,
      MemorySegment password,
      byte[] salt,
      MemorySegment out) {
    int rc;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment s = arena.allocate(Math.max(1, salt.length));
      MemorySegment.copy(salt, 0, s, ValueLayout.JAVA_BYTE, 0, salt.length);
      rc =
          (int)
              HASH.invokeExact(
                  time,
                  memoryKiB,
                  parallelism,
                  password,
                  password.byteSize(),
                  s,
                  (long) salt.length,
                  out,
                  out.byteSize(),
                  MemorySegment.NULL,
                  0L,
                  type,
                  VERSION_13);
    } catch (Throwable t) {
      throw new IllegalStateException("libargon2 call failed", t);
    }
    if (rc != 0) {
      out.fill((byte) 0);
      throw new IllegalStateException(
          "Argon2 failed: " + message(rc) + " (libargon2 error " + rc + ")");
    }
  }

  private static String message(int rc) {
    try {
      MemorySegment m = (MemorySegment) ERROR_MESSAGE.invokeExact(rc);
      return m.reinterpret(256).getString(0);
    } catch (Throwable t) {
      return "unknown error";
    }
  }
}
