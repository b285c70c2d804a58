package dev.klcrypt.blockdev.testing;

import dev.klcrypt.blockdev.BackingStoreIoException;
import dev.klcrypt.blockdev.store.BackingStore;
import java.nio.ByteBuffer;

/** An in-memory backing store for parser fuzzing (no file system in the loop). */
public final class ByteArrayStore implements BackingStore {
  private final byte[] bytes;

  public ByteArrayStore(byte[] bytes) {
    this.bytes = bytes;
  }

  @Override
  public long size() {
    return bytes.length;
  }

  @Override
  public boolean readOnly() {
    return true;
  }

  @Override
  public void read(long offset, ByteBuffer dst) {
    if (offset < 0 || offset + dst.remaining() > bytes.length) {
      throw new BackingStoreIoException("short read at " + offset);
    }
    dst.put(bytes, (int) offset, dst.remaining());
  }

  @Override
  public void write(long offset, ByteBuffer src) {
    throw new BackingStoreIoException("read-only");
  }

  @Override
  public void flush() {}

  @Override
  public void discard(long offset, long length) {
    throw new BackingStoreIoException("read-only");
  }

  @Override
  public void close() {}
}
