package dev.klcrypt.keylocker.cpu;

import dev.klcrypt.keylocker.handle.KeyHandle;
import dev.klcrypt.keylocker.memory.LockedMemory;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The emulator's memo of handles it has already unwrapped and authenticated under the current
 * IWKey: each entry is the AES key schedule, in one locked, non-dumpable region. Hardware unwraps
 * on every instruction; the result is the same for the same (immutable) handle and IWKey, so
 * remembering it changes nothing observable. It is wiped whenever the IWKey is loaded, lost or
 * replaced. Callers hold the CPU's state lock (read for lookups, write for clear).
 */
final class UnwrappedKeyCache implements AutoCloseable {
  record Entry(MemorySegment schedule, int rounds) {}

  private final LockedMemory slots;
  private final int capacity;
  // KeyHandle has identity equality (it deliberately has no equals/hashCode over its bytes).
  private final Map<KeyHandle, Entry> entries = new ConcurrentHashMap<>();
  private volatile int used;

  UnwrappedKeyCache(int capacity) {
    this.capacity = capacity;
    this.slots = LockedMemory.allocate((long) capacity * NativeCore.SCHED_BYTES);
  }

  Entry get(KeyHandle h) {
    return entries.get(h);
  }

  boolean full() {
    return used == capacity;
  }

  /**
   * Expands {@code clearKey} into a free slot for {@code h}; the caller has authenticated the
   * handle.
   */
  synchronized Entry put(KeyHandle h, MemorySegment clearKey) {
    Entry e = entries.get(h);
    if (e != null) {
      return e;
    }
    if (used == capacity) {
      throw new IllegalStateException(
          "unwrapped-key cache full; clear it under the write lock first");
    }
    MemorySegment slot =
        slots.segment().asSlice((long) used * NativeCore.SCHED_BYTES, NativeCore.SCHED_BYTES);
    int rounds = NativeCore.expand(clearKey, slot);
    used++;
    e = new Entry(slot, rounds);
    entries.put(h, e);
    return e;
  }

  /** Wipes every schedule. */
  synchronized void clear() {
    slots.wipe();
    entries.clear();
    used = 0;
  }

  @Override
  public synchronized void close() {
    entries.clear();
    slots.close();
  }
}
