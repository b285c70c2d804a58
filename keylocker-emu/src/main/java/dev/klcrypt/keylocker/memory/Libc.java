package dev.klcrypt.keylocker.memory;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** The three libc calls that keep key pages resident and out of core dumps. */
@SuppressWarnings("restricted") // the one place that binds libc memory calls
final class Libc {
  static final int MADV_DONTDUMP = 16;

  private static final Linker LINKER = Linker.nativeLinker();
  private static final MethodHandle MLOCK = downcall("mlock");
  private static final MethodHandle MUNLOCK = downcall("munlock");
  private static final MethodHandle MADVISE =
      LINKER.downcallHandle(
          LINKER.defaultLookup().find("madvise").orElseThrow(),
          FunctionDescriptor.of(
              ValueLayout.JAVA_INT,
              ValueLayout.ADDRESS,
              ValueLayout.JAVA_LONG,
              ValueLayout.JAVA_INT));

  private Libc() {}

  private static MethodHandle downcall(String name) {
    return LINKER.downcallHandle(
        LINKER.defaultLookup().find(name).orElseThrow(),
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
  }

  static boolean mlock(MemorySegment s) {
    return call(MLOCK, s);
  }

  static boolean munlock(MemorySegment s) {
    return call(MUNLOCK, s);
  }

  static boolean dontDump(MemorySegment s) {
    try {
      return (int) MADVISE.invokeExact(s, s.byteSize(), MADV_DONTDUMP) == 0;
    } catch (Throwable t) {
      throw new IllegalStateException("madvise failed to run", t);
    }
  }

  private static boolean call(MethodHandle h, MemorySegment s) {
    try {
      return (int) h.invokeExact(s, s.byteSize()) == 0;
    } catch (Throwable t) {
      throw new IllegalStateException("libc call failed to run", t);
    }
  }
}
