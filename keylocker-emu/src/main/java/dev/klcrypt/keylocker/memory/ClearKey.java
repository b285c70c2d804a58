package dev.klcrypt.keylocker.memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A key in the clear, held in {@link LockedMemory} for the moment between unlocking and ENCODEKEY.
 * Close it as soon as the key handle exists: {@code close()} wipes the bytes. {@code toString()}
 * shows only the length; there is no {@code equals}/{@code hashCode} over the bytes.
 */
public final class ClearKey implements AutoCloseable {
  private final LockedMemory memory;

  private ClearKey(int length) {
    if (length <= 0 || length > 4096) {
      throw new IllegalArgumentException("key length must be 1..4096 bytes, was " + length);
    }
    this.memory = LockedMemory.allocate(length);
  }

  /** A zeroed key of {@code length} bytes, to be filled through {@link #segment()}. */
  public static ClearKey allocate(int length) {
    return new ClearKey(length);
  }

  /** Copies {@code src} into a new key; the caller still owns (and wipes) {@code src}. */
  public static ClearKey copyOf(MemorySegment src) {
    ClearKey k = new ClearKey(Math.toIntExact(src.byteSize()));
    k.segment().copyFrom(src);
    return k;
  }

  /** Copies part of a heap array into a new key; the caller still wipes its own array. */
  public static ClearKey copyOf(byte[] src, int off, int len) {
    ClearKey k = new ClearKey(len);
    MemorySegment.copy(src, off, k.segment(), ValueLayout.JAVA_BYTE, 0, len);
    return k;
  }

  public int length() {
    return (int) memory.size();
  }

  /** The key bytes, off-heap. */
  public MemorySegment segment() {
    return memory.segment();
  }

  /** A new key holding a copy of {@code len} bytes from {@code off}. */
  public ClearKey slice(int off, int len) {
    return copyOf(segment().asSlice(off, len));
  }

  /** Wipes and frees the key. Idempotent. */
  @Override
  public void close() {
    memory.close();
  }

  @Override
  public String toString() {
    return "ClearKey[" + length() + " bytes]";
  }
}
