package dev.klcrypt.blockdev.fault;

import java.util.EnumMap;
import java.util.Map;

/**
 * A snapshot of what a {@link FaultyBackingStore} has injected since it was created: injections by
 * kind, bytes of unflushed writes thrown away by power cuts, and volatile-cache write-backs forced
 * by its size limit.
 */
public record FaultCounters(
    Map<FaultKind, Long> injections, long powerCutLostBytes, long cacheWritebacks) {

  public FaultCounters {
    EnumMap<FaultKind, Long> all = new EnumMap<>(FaultKind.class);
    for (FaultKind k : FaultKind.values()) {
      all.put(k, injections.getOrDefault(k, 0L));
    }
    injections = Map.copyOf(all);
  }

  /** Injections of one kind. */
  public long injections(FaultKind kind) {
    return injections.get(kind);
  }

  /** Injections of every kind. */
  public long total() {
    return injections.values().stream().mapToLong(Long::longValue).sum();
  }
}
