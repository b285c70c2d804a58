package dev.klcrypt.keylocker.cpu;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Downcalls into {@code libklcpu.so}, the emulator's native AES core (src/main/c/klcpu.c). Key
 * schedules are always passed as off-heap segments; data buffers may be heap segments (the data
 * calls are {@code critical}).
 */
@SuppressWarnings("restricted") // the one place that binds the native AES core
final class NativeCore {
  static final int SCHED_BYTES = 480;
  private static final String RESOURCE = "/native/linux-x86_64/libklcpu.so";

  private static final Linker LINKER = Linker.nativeLinker();
  private static final SymbolLookup LIB = load();
  private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
  private static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG;
  private static final ValueLayout A = ValueLayout.ADDRESS;

  private static final MethodHandle HOST_FEATURES =
      fn("klc_host_features", false, FunctionDescriptor.of(I));
  private static final MethodHandle SELECT_PATH =
      fn("klc_select_path", false, FunctionDescriptor.of(I, I));
  private static final MethodHandle EXPAND =
      fn("klc_aes_expand", false, FunctionDescriptor.of(I, A, I, A));
  private static final MethodHandle BLOCKS =
      fn("klc_aes_blocks", true, FunctionDescriptor.ofVoid(A, I, I, A, A, L));
  private static final MethodHandle XTS_UNITS =
      fn("klc_xts_units", true, FunctionDescriptor.ofVoid(A, A, I, I, L, L, A, A, L, L));
  private static final MethodHandle XTS_UNIT_IV =
      fn("klc_xts_unit_iv", true, FunctionDescriptor.ofVoid(A, A, I, I, A, A, A, L));
  private static final MethodHandle SIV_SEAL =
      fn("klc_siv_seal", true, FunctionDescriptor.ofVoid(A, A, A, L, A, L, A, A));
  private static final MethodHandle SIV_OPEN =
      fn("klc_siv_open", true, FunctionDescriptor.of(I, A, A, A, L, A, A, L, A));
  private static final MethodHandle CMAC =
      fn("klc_cmac", true, FunctionDescriptor.ofVoid(A, I, A, L, A));
  private static final MethodHandle RANDOM =
      fn("klc_random", false, FunctionDescriptor.of(I, A, L));
  private static final MethodHandle XOR = fn("klc_xor", false, FunctionDescriptor.ofVoid(A, A, L));

  static {
    int f = hostFeatures();
    if ((f & 1) == 0) {
      throw new UnsupportedOperationException(
          "the host CPU has no AES-NI/SSE4.1: the Key Locker emulator's native core cannot run here");
    }
  }

  private NativeCore() {}

  private static SymbolLookup load() {
    String override = System.getProperty("klcrypt.native.lib");
    Path lib;
    if (override != null) {
      lib = Path.of(override);
    } else {
      URL url = NativeCore.class.getResource(RESOURCE);
      if (url == null) {
        throw new IllegalStateException(
            "native library "
                + RESOURCE
                + " is missing from the classpath (build with 'make build')");
      }
      lib = "file".equals(url.getProtocol()) ? toPath(url) : extract();
    }
    return SymbolLookup.libraryLookup(lib, Arena.global());
  }

  private static Path toPath(URL url) {
    try {
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException("bad native library URL " + url, e);
    }
  }

  /**
   * Copies the library out of the jar into a private directory, loads it there, and deletes the
   * copy.
   */
  private static Path extract() {
    try {
      Path dir =
          Files.createTempDirectory(
              "klcpu",
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      Path lib = dir.resolve("libklcpu.so");
      try (InputStream in = NativeCore.class.getResourceAsStream(RESOURCE)) {
        if (in == null) {
          throw new IllegalStateException("native library " + RESOURCE + " missing");
        }
        Files.copy(in, lib, StandardCopyOption.REPLACE_EXISTING);
      }
      lib.toFile().deleteOnExit();
      dir.toFile().deleteOnExit();
      return lib;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot extract the native AES core", e);
    }
  }

  private static MethodHandle fn(String name, boolean critical, FunctionDescriptor d) {
    MemorySegment sym =
        LIB.find(name).orElseThrow(() -> new IllegalStateException("libklcpu.so lacks " + name));
    return critical
        ? LINKER.downcallHandle(sym, d, Linker.Option.critical(true))
        : LINKER.downcallHandle(sym, d);
  }

  private static IllegalStateException bug(Throwable t) {
    return new IllegalStateException("native AES core call failed", t);
  }

  static int hostFeatures() {
    try {
      return (int) HOST_FEATURES.invokeExact();
    } catch (Throwable t) {
      throw bug(t);
    }
  }

  /**
   * -1 auto, 0 AES-NI only, 1 VAES/AVX-512 if present. Returns 1 when the wide SIMD path is in use.
   */
  static int selectPath(int mode) {
    try {
      return (int) SELECT_PATH.invokeExact(mode);
    } catch (Throwable t) {
      throw bug(t);
    }
  }

  /** Expands a 16- or 32-byte key into {@code sched} (480 bytes); returns the round count. */
  static int expand(MemorySegment key, MemorySegment sched) {
    try {
      int r = (int) EXPAND.invokeExact(key, (int) key.byteSize(), sched);
      if (r < 0) {
        throw new IllegalArgumentException("AES key must be 16 or 32 bytes, was " + key.byteSize());
      }
      return r;
    } catch (IllegalArgumentException e) {
      throw e;
    } catch (Throwable t) {
      throw bug(t);
    }
  }

  static void blocks(
      MemorySegment sched, int rounds, boolean decrypt, MemorySegment in, MemorySegment out) {
    try {
      BLOCKS.invokeExact(sched, rounds, decrypt ? 1 : 0, in, out, in.byteSize() / 16);
    } catch (Throwable t) {
      throw bug(t);
    }
  }

  static void xtsUnits(
      MemorySegment k1,
      MemorySegment k2,
      int rounds,
      boolean decrypt,
      long firstTweak,
      long tweakStep,
      MemorySegment in,
      MemorySegment out,
      long unitLen,
      long units) {
    try {
      XTS_UNITS.invokeExact(
          k1, k2, rounds, decrypt ? 1 : 0, firstTweak, tweakStep, in, out, unitLen, units);
    } catch (Throwable t) {
      throw bug(t);
    }
  }

  static void xtsUnitIv(
      MemorySegment k1,
      MemorySegment k2,
      int rounds,
      boolean decrypt,
      MemorySegment iv,
      MemorySegment in,
      MemorySegment out) {
    try {
      XTS_UNIT_IV.invokeExact(k1, k2, rounds, decrypt ? 1 : 0, iv, in, out, in.byteSize());
    } catch (Throwable t) {
      throw bug(t);
    }
  }

  static void sivSeal(
      MemorySegment macSched,
      MemorySegment encSched,
      MemorySegment aad,
      MemorySegment pt,
      MemorySegment tagOut,
      MemorySegment ctOut) {
    try {
      SIV_SEAL.invokeExact(
          macSched, encSched, aad, aad.byteSize(), pt, pt.byteSize(), tagOut, ctOut);
    } catch (Throwable t) {
      throw bug(t);
    }
  }

  /** True when the tag authenticates; on false {@code ptOut} is zeroed. */
  static boolean sivOpen(
      MemorySegment macSched,
      MemorySegment encSched,
      MemorySegment aad,
      MemorySegment tag,
      MemorySegment ct,
      MemorySegment ptOut) {
    try {
      return (int)
              SIV_OPEN.invokeExact(
                  macSched, encSched, aad, aad.byteSize(), tag, ct, ct.byteSize(), ptOut)
          == 0;
    } catch (Throwable t) {
      throw bug(t);
    }
  }

  static void cmac(MemorySegment sched, int rounds, MemorySegment msg, MemorySegment tagOut) {
    try {
      CMAC.invokeExact(sched, rounds, msg, msg.byteSize(), tagOut);
    } catch (Throwable t) {
      throw bug(t);
    }
  }

  /** Fills {@code buf} from getrandom(2); returns 0 or -errno. */
  static int random(MemorySegment buf) {
    try {
      return (int) RANDOM.invokeExact(buf, buf.byteSize());
    } catch (Throwable t) {
      throw bug(t);
    }
  }

  static void xor(MemorySegment dst, MemorySegment src) {
    try {
      XOR.invokeExact(dst, src, dst.byteSize());
    } catch (Throwable t) {
      throw bug(t);
    }
  }
}
