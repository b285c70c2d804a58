package dev.klcrypt.keylocker.cpu;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Emulated cost accounting: instructions executed by kind, LOADIWKEY by key source, handle failures
 * by reason, backup and restore attempts and failures, and the spec's cycle figures for LOADIWKEY
 * and platform copies. No sleeps: cycles are counted, not spent.
 */
public final class InstructionCounters {
  /** "Tens of thousands of cycles" for a platform backup or restore copy. */
  static final long PLATFORM_COPY_CYCLES = 20_000;

  private final EnumMap<Instruction, LongAdder> instructions = adders(Instruction.class);
  private final EnumMap<KeySource, LongAdder> loads = adders(KeySource.class);
  private final EnumMap<HandleRejectedException.Reason, LongAdder> rejections =
      adders(HandleRejectedException.Reason.class);
  private final LongAdder backups = new LongAdder();
  private final LongAdder backupFailures = new LongAdder();
  private final LongAdder restores = new LongAdder();
  private final LongAdder restoreFailures = new LongAdder();
  private final LongAdder cycles = new LongAdder();

  private static <E extends Enum<E>> EnumMap<E, LongAdder> adders(Class<E> type) {
    EnumMap<E, LongAdder> m = new EnumMap<>(type);
    for (E e : type.getEnumConstants()) {
      m.put(e, new LongAdder());
    }
    return m;
  }

  void executed(Instruction i, long n) {
    if (n != 0) {
      instructions.get(i).add(n);
    }
  }

  void loaded(KeySource s) {
    instructions.get(Instruction.LOADIWKEY).increment();
    loads.get(s).increment();
    cycles.add(s.emulatedCycles());
  }

  void rejected(HandleRejectedException.Reason r) {
    rejections.get(r).increment();
  }

  void backup(boolean ok) {
    backups.increment();
    cycles.add(PLATFORM_COPY_CYCLES);
    if (!ok) {
      backupFailures.increment();
    }
  }

  void restore(boolean ok) {
    restores.increment();
    cycles.add(PLATFORM_COPY_CYCLES);
    if (!ok) {
      restoreFailures.increment();
    }
  }

  /** A consistent-enough copy of every counter. */
  public Snapshot snapshot() {
    return new Snapshot(
        sums(instructions, Instruction.class),
        sums(loads, KeySource.class),
        sums(rejections, HandleRejectedException.Reason.class),
        backups.sum(),
        backupFailures.sum(),
        restores.sum(),
        restoreFailures.sum(),
        cycles.sum());
  }

  private static <E extends Enum<E>> Map<E, Long> sums(EnumMap<E, LongAdder> m, Class<E> type) {
    EnumMap<E, Long> out = new EnumMap<>(type);
    m.forEach((k, v) -> out.put(k, v.sum()));
    return Map.copyOf(out);
  }

  /** Counter values at one moment. */
  public record Snapshot(
      Map<Instruction, Long> instructions,
      Map<KeySource, Long> loadIwKeyBySource,
      Map<HandleRejectedException.Reason, Long> handleRejections,
      long backupAttempts,
      long backupFailures,
      long restoreAttempts,
      long restoreFailures,
      long emulatedCycles) {

    public long count(Instruction i) {
      return instructions.getOrDefault(i, 0L);
    }

    public long handleFailures() {
      return handleRejections.values().stream().mapToLong(Long::longValue).sum();
    }
  }
}
