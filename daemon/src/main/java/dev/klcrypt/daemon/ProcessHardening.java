package dev.klcrypt.daemon;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Makes the daemon process non-dumpable ({@code prctl(PR_SET_DUMPABLE, 0)}): no core file, and no
 * ptrace or /proc/PID/mem access for non-root processes. Native crypto contexts and key handles are
 * outside the Java heap and not all of them can be kept out of a core dump otherwise
 * (spike-results.md, hardening).
 */
final class ProcessHardening {
  private static final int PR_SET_DUMPABLE = 4;
  private static final int PR_GET_DUMPABLE = 3;

  private ProcessHardening() {}

  /** Sets the process non-dumpable; throws if the kernel refuses. */
  static void disableCoreDumps() {
    int rc = prctl(PR_SET_DUMPABLE, 0);
    if (rc != 0) {
      throw new IllegalStateException("prctl(PR_SET_DUMPABLE, 0) returned " + rc);
    }
  }

  /** 1 if the process may dump core, 0 if not. */
  static int dumpable() {
    return prctl(PR_GET_DUMPABLE, 0);
  }

  @SuppressWarnings("restricted") // a libc downcall with fixed, checked arguments
  private static int prctl(int option, long arg2) {
    Linker linker = Linker.nativeLinker();
    MethodHandle prctl =
        linker.downcallHandle(
            linker.defaultLookup().find("prctl").orElseThrow(),
            FunctionDescriptor.of(
                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG),
            Linker.Option.firstVariadicArg(1));
    try {
      return (int) prctl.invokeExact(option, arg2);
    } catch (Throwable t) {
      throw new IllegalStateException("prctl downcall failed", t);
    }
  }
}
