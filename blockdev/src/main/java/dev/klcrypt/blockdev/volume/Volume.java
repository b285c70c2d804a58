package dev.klcrypt.blockdev.volume;

import dev.klcrypt.blockdev.DiscardNotAllowedException;
import dev.klcrypt.blockdev.ReadOnlyVolumeException;
import dev.klcrypt.blockdev.VolumeClosedException;
import dev.klcrypt.blockdev.VolumeRangeException;
import dev.klcrypt.blockdev.store.BackingStore;
import dev.klcrypt.keylocker.xts.XtsSectorCipher;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * An open encrypted volume: byte-addressed reads and writes of the data area, encrypted with
 * aes-xts-plain64 through the emulated AES-KL {@link XtsSectorCipher}. It holds only key handles
 * (inside the cipher), never a clear key.
 *
 * <p>Requests are cut at 1 MiB chunk boundaries. Each chunk maps to one of a fixed set of striped
 * read-write locks: whole-sector pieces take the shared side, pieces that need read-modify-write of
 * a partial sector take the exclusive side, so overlapping partial writes never lose each other's
 * bytes, and reads never see a half-applied RMW. Whole- sector reads go straight into a native
 * destination and are decrypted in place; writes are encrypted into a pooled native buffer. XTS
 * gives confidentiality only: there is no integrity protection, as in dm-crypt.
 */
public final class Volume implements AutoCloseable {
  static final int CHUNK = 1 << 20;
  private static final int LOCK_STRIPES = 64;

  private final BackingStore store;
  private final XtsSectorCipher cipher;
  private final VolumeInfo info;
  private final long ivTweak;
  private final int sectorSize;
  private final long dataOffset;
  private final long size;
  private final ReentrantReadWriteLock[] stripes = new ReentrantReadWriteLock[LOCK_STRIPES];
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private final Arena arena = Arena.ofShared();
  private final ConcurrentLinkedDeque<MemorySegment> buffers = new ConcurrentLinkedDeque<>();
  private volatile boolean closed;

  private Volume(BackingStore store, XtsSectorCipher cipher, VolumeInfo info, long ivTweak) {
    this.store = store;
    this.cipher = cipher;
    this.info = info;
    this.ivTweak = ivTweak;
    this.sectorSize = info.sectorSize();
    this.dataOffset = info.dataOffset();
    this.size = info.size();
    for (int i = 0; i < LOCK_STRIPES; i++) {
      stripes[i] = new ReentrantReadWriteLock();
    }
  }

  /**
   * A volume over {@code store} whose data area starts at {@code info.dataOffset()}. Takes
   * ownership of the store.
   *
   * @param ivTweak added to every 512-byte IV sector number (LUKS2 segment iv_tweak)
   */
  public static Volume over(
      BackingStore store, XtsSectorCipher cipher, VolumeInfo info, long ivTweak) {
    if (cipher.sectorSize() != info.sectorSize()) {
      throw new IllegalArgumentException("cipher sector size differs from the volume's");
    }
    if (info.size() % info.sectorSize() != 0 || info.dataOffset() % SectorMath.IV_UNIT != 0) {
      throw new IllegalArgumentException("data area must be whole sectors");
    }
    return new Volume(store, cipher, info, ivTweak);
  }

  /** Data-area bytes. */
  public long size() {
    return size;
  }

  public int sectorSize() {
    return sectorSize;
  }

  public VolumeInfo info() {
    return info;
  }

  /**
   * Reads {@code dst.byteSize()} bytes at {@code offset}; any alignment, native or heap
   * destination.
   */
  public void read(long offset, MemorySegment dst) {
    Lock life = enter("read");
    try {
      checkRange(offset, dst.byteSize());
      forEachChunk(offset, dst, false);
    } finally {
      life.unlock();
    }
  }

  /**
   * Writes {@code src} at {@code offset}; any alignment; safe under concurrent overlapping
   * requests.
   */
  public void write(long offset, MemorySegment src) {
    Lock life = enter("write");
    try {
      if (info.readOnly()) {
        throw new ReadOnlyVolumeException("write");
      }
      checkRange(offset, src.byteSize());
      forEachChunk(offset, src, true);
    } finally {
      life.unlock();
    }
  }

  /** fsync of the backing file. */
  public void flush() {
    Lock life = enter("flush");
    try {
      store.flush();
    } finally {
      life.unlock();
    }
  }

  /**
   * Deallocates the whole sectors inside [offset, offset+length) in the backing file (punch hole).
   * Partial sectors at the ends are left alone. Discarded sectors read back as undefined data, as
   * with dm-crypt.
   */
  public void discard(long offset, long length) {
    Lock life = enter("discard");
    try {
      if (info.readOnly()) {
        throw new ReadOnlyVolumeException("discard");
      }
      if (!info.allowDiscards()) {
        throw new DiscardNotAllowedException();
      }
      checkRange(offset, length);
      long start = SectorMath.ceil(offset, sectorSize);
      long end = SectorMath.floor(offset + length, sectorSize);
      if (end > start) {
        store.discard(dataOffset + start, end - start);
      }
    } finally {
      life.unlock();
    }
  }

  /** Waits for requests in flight, then closes the backing store. Idempotent. */
  @Override
  public void close() {
    closed = true;
    lifecycle.writeLock().lock();
    try {
      if (arena.scope().isAlive()) {
        buffers.clear();
        arena.close();
        store.close();
      }
    } finally {
      lifecycle.writeLock().unlock();
    }
  }

  @Override
  public String toString() {
    return "Volume["
        + info.type()
        + " "
        + info.uuid()
        + ", "
        + size
        + " bytes, sector "
        + sectorSize
        + "]";
  }

  private Lock enter(String op) {
    if (closed) {
      throw new VolumeClosedException(op);
    }
    Lock l = lifecycle.readLock();
    l.lock();
    if (closed) {
      l.unlock();
      throw new VolumeClosedException(op);
    }
    return l;
  }

  private void checkRange(long offset, long length) {
    if (!SectorMath.inRange(offset, length, size)) {
      throw new VolumeRangeException(offset, length, size);
    }
  }

  private void forEachChunk(long offset, MemorySegment seg, boolean write) {
    long len = seg.byteSize();
    long pos = 0;
    while (pos < len) {
      long off = offset + pos;
      long chunkEnd = (off / CHUNK + 1) * CHUNK;
      long n = Math.min(len - pos, chunkEnd - off);
      MemorySegment piece = seg.asSlice(pos, n);
      ReentrantReadWriteLock rw = stripes[(int) ((off / CHUNK) % LOCK_STRIPES)];
      boolean whole = SectorMath.coversWholeSectors(off, n, sectorSize);
      Lock lock = (write && !whole) ? rw.writeLock() : rw.readLock();
      lock.lock();
      try {
        if (write) {
          writePiece(off, piece, whole);
        } else {
          readPiece(off, piece, whole);
        }
      } finally {
        lock.unlock();
      }
      pos += n;
    }
  }

  private void readPiece(long off, MemorySegment dst, boolean whole) {
    long n = dst.byteSize();
    if (whole && dst.isNative()) {
      store.read(dataOffset + off, dst.asByteBuffer());
      SectorCrypto.run(cipher, false, SectorMath.ivSector(off, ivTweak), dst, dst);
      return;
    }
    long s0 = SectorMath.floor(off, sectorSize);
    long e = SectorMath.ceil(off + n, sectorSize);
    MemorySegment buf = takeBuffer();
    try {
      MemorySegment span = buf.asSlice(0, e - s0);
      store.read(dataOffset + s0, span.asByteBuffer());
      if (whole) {
        SectorCrypto.run(cipher, false, SectorMath.ivSector(s0, ivTweak), span, dst);
      } else {
        cipher.decrypt(SectorMath.ivSector(s0, ivTweak), span, span);
        MemorySegment.copy(span, off - s0, dst, 0, n);
      }
    } finally {
      giveBack(buf);
    }
  }

  private void writePiece(long off, MemorySegment src, boolean whole) {
    long n = src.byteSize();
    long s0 = SectorMath.floor(off, sectorSize);
    long e = SectorMath.ceil(off + n, sectorSize);
    MemorySegment buf = takeBuffer();
    try {
      MemorySegment span = buf.asSlice(0, e - s0);
      if (!whole) {
        // read-modify-write: decrypt only the partial edge sectors, under the stripe's exclusive
        // lock
        if (off != s0) {
          readSectorInto(span, 0, s0);
        }
        long tail = e - sectorSize;
        if ((off + n) != e && (tail != s0 || off == s0)) {
          readSectorInto(span, tail - s0, tail);
        }
        MemorySegment.copy(src, 0, span, off - s0, n);
        SectorCrypto.run(cipher, true, SectorMath.ivSector(s0, ivTweak), span, span);
      } else {
        SectorCrypto.run(cipher, true, SectorMath.ivSector(s0, ivTweak), src, span);
      }
      store.write(dataOffset + s0, span.asByteBuffer());
    } finally {
      giveBack(buf);
    }
  }

  private void readSectorInto(MemorySegment span, long at, long sectorOffset) {
    MemorySegment one = span.asSlice(at, sectorSize);
    store.read(dataOffset + sectorOffset, one.asByteBuffer());
    cipher.decrypt(SectorMath.ivSector(sectorOffset, ivTweak), one, one);
  }

  private MemorySegment takeBuffer() {
    MemorySegment b = buffers.pollFirst();
    return b != null ? b : arena.allocate(CHUNK, 4096);
  }

  private void giveBack(MemorySegment b) {
    buffers.addFirst(b);
  }
}
