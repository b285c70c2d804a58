package dev.klcrypt.blockdev.store;

import java.nio.ByteBuffer;

/**
 * Byte-addressed storage under a LUKS image: the image file, or a decorator around one (fault
 * injection). Positional and thread-safe: concurrent calls on disjoint ranges never interfere. All
 * failures surface as {@link dev.klcrypt.blockdev.BackingStoreIoException}.
 */
public interface BackingStore extends AutoCloseable {

  /** Current size in bytes. */
  long size();

  /** Whether writes and discards are refused. */
  boolean readOnly();

  /**
   * Fills {@code dst} from {@code remaining()} bytes at {@code offset}; a short read (end of store)
   * is an error.
   */
  void read(long offset, ByteBuffer dst);

  /** Writes all of {@code src}'s remaining bytes at {@code offset}. */
  void write(long offset, ByteBuffer src);

  /** Makes every completed write durable (fsync). */
  void flush();

  /**
   * Deallocates {@code length} bytes at {@code offset} (punch hole); later reads of the range
   * return zeros.
   */
  void discard(long offset, long length);

  @Override
  void close();
}
