package dev.klcrypt.keylocker.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Off-heap memory for secrets: page-aligned, zeroed, locked into RAM ({@code mlock}) and excluded
 * from core dumps ({@code MADV_DONTDUMP}) where the OS allows, and wiped before it is released. A
 * heap dump never contains it (hprof holds heap objects only).
 *
 * <p>Locking can fail (RLIMIT_MEMLOCK); the memory is still usable and {@link #locked()} says so,
 * the way cryptsetup's safe allocator only warns.
 */
public final class LockedMemory implements AutoCloseable {
  private static final long PAGE = 4096;

  private final Arena arena;
  private final MemorySegment segment;
  private final MemorySegment pages;
  private final boolean locked;
  private final boolean dontDump;
  private final AtomicBoolean closed = new AtomicBoolean();

  private LockedMemory(long bytes) {
    if (bytes <= 0) {
      throw new IllegalArgumentException("size must be positive, was " + bytes);
    }
    long rounded = (bytes + PAGE - 1) / PAGE * PAGE;
    this.arena = Arena.ofShared();
    this.pages = arena.allocate(rounded, PAGE);
    this.pages.fill((byte) 0);
    this.locked = Libc.mlock(pages);
    this.dontDump = Libc.dontDump(pages);
    this.segment = pages.asSlice(0, bytes);
  }

  /** Allocates {@code bytes} of zeroed, locked, non-dumpable memory. */
  public static LockedMemory allocate(long bytes) {
    return new LockedMemory(bytes);
  }

  /** The usable memory (exactly the requested size). */
  public MemorySegment segment() {
    return segment;
  }

  public long size() {
    return segment.byteSize();
  }

  /** Whether {@code mlock} succeeded. */
  public boolean locked() {
    return locked;
  }

  /** Whether {@code MADV_DONTDUMP} succeeded. */
  public boolean excludedFromCoreDumps() {
    return dontDump;
  }

  /** Overwrites the memory with zeros. */
  public void wipe() {
    pages.fill((byte) 0);
  }

  /** Wipes, unlocks and frees the memory. Idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      pages.fill((byte) 0);
      if (locked) {
        Libc.munlock(pages);
      }
      arena.close();
    }
  }

  @Override
  public String toString() {
    return "LockedMemory["
        + segment.byteSize()
        + " bytes"
        + (locked ? ", locked" : ", NOT locked")
        + "]";
  }
}
