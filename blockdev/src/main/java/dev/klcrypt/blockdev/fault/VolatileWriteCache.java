package dev.klcrypt.blockdev.fault;

import dev.klcrypt.blockdev.store.BackingStore;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A disk's volatile write cache, LazyFS-style: writes and discards since the last flush live only
 * here; the backing store is touched only by {@link #flush()} (or a forced write-back when the
 * cache is full), so a power cut is {@link #dropAll()}: forget the cache, and the backing file
 * holds exactly the flushed state.
 *
 * <p>State: {@code pages} maps a 4 KiB page index to the page's full current content; {@code
 * discards} holds coalesced byte ranges discarded since the last flush. Invariant: a page with an
 * entry reads as its entry; any other byte reads as zero inside a discarded range and as the
 * backing store otherwise. Flush therefore applies all discards first, then writes every page, then
 * fsyncs.
 */
final class VolatileWriteCache {
  static final int PAGE = 4096;

  private final BackingStore base;
  private final long capacityBytes;
  private final boolean passThrough;
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private final TreeMap<Long, byte[]> pages = new TreeMap<>();
  private final TreeMap<Long, Long> discards = new TreeMap<>();
  private long writebacks;

  /**
   * A cache of at most {@code capacityBytes}; {@code passThrough} disables it (every call goes
   * straight to base).
   */
  VolatileWriteCache(BackingStore base, long capacityBytes, boolean passThrough) {
    this.base = base;
    this.capacityBytes = capacityBytes;
    this.passThrough = passThrough;
  }

  boolean passThrough() {
    return passThrough;
  }

  void read(long offset, ByteBuffer dst) {
    if (passThrough) {
      base.read(offset, dst);
      return;
    }
    int len = dst.remaining();
    int pos0 = dst.position();
    lock.readLock().lock();
    try {
      base.read(offset, dst);
      long end = offset + len;
      for (Map.Entry<Long, Long> d : overlapping(discards, offset, end)) {
        long from = Math.max(offset, d.getKey());
        long to = Math.min(end, d.getValue());
        for (long p = from; p < to; p++) {
          dst.put(pos0 + (int) (p - offset), (byte) 0);
        }
      }
      for (Map.Entry<Long, byte[]> e :
          pages.subMap(offset / PAGE, true, (end - 1) / PAGE, true).entrySet()) {
        long pageStart = e.getKey() * PAGE;
        long from = Math.max(offset, pageStart);
        long to = Math.min(end, pageStart + e.getValue().length);
        dst.put(
            pos0 + (int) (from - offset),
            e.getValue(),
            (int) (from - pageStart),
            (int) (to - from));
      }
    } finally {
      lock.readLock().unlock();
    }
  }

  void write(long offset, ByteBuffer src) {
    if (passThrough) {
      base.write(offset, src);
      return;
    }
    int len = src.remaining();
    if (len == 0) {
      return;
    }
    long end = offset + len;
    checkBounds(offset, len);
    lock.writeLock().lock();
    try {
      for (long idx = offset / PAGE; idx <= (end - 1) / PAGE; idx++) {
        byte[] page = pages.get(idx);
        if (page == null) {
          page = load(idx);
          pages.put(idx, page);
        }
        long pageStart = idx * PAGE;
        long from = Math.max(offset, pageStart);
        long to = Math.min(end, pageStart + page.length);
        src.get(
            src.position() + (int) (from - offset),
            page,
            (int) (from - pageStart),
            (int) (to - from));
      }
      src.position(src.position() + len);
      if ((long) pages.size() * PAGE > capacityBytes) {
        writeBackLocked(false);
        writebacks++;
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  void discard(long offset, long length) {
    if (passThrough) {
      base.discard(offset, length);
      return;
    }
    if (length <= 0) {
      return;
    }
    checkBounds(offset, length);
    long end = offset + length;
    lock.writeLock().lock();
    try {
      Iterator<Map.Entry<Long, byte[]>> it =
          pages.subMap(offset / PAGE, true, (end - 1) / PAGE, true).entrySet().iterator();
      while (it.hasNext()) {
        Map.Entry<Long, byte[]> e = it.next();
        long pageStart = e.getKey() * PAGE;
        byte[] page = e.getValue();
        if (offset <= pageStart && end >= pageStart + page.length) {
          it.remove();
        } else {
          long from = Math.max(offset, pageStart);
          long to = Math.min(end, pageStart + page.length);
          java.util.Arrays.fill(page, (int) (from - pageStart), (int) (to - pageStart), (byte) 0);
        }
      }
      addDiscard(offset, end);
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** Makes everything cached durable: discards, then pages, then fsync of the backing store. */
  void flush() {
    lock.writeLock().lock();
    try {
      writeBackLocked(true);
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** Writes the cache back without fsync (clean shutdown of a disk). */
  void writeBack() {
    lock.writeLock().lock();
    try {
      writeBackLocked(false);
    } finally {
      lock.writeLock().unlock();
    }
  }

  /**
   * The power cut: forgets every unflushed write and discard; returns how many bytes they covered.
   */
  long dropAll() {
    lock.writeLock().lock();
    try {
      long lost = dirtyBytesLocked();
      pages.clear();
      discards.clear();
      return lost;
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** Bytes of pages and discarded ranges not yet flushed. */
  long dirtyBytes() {
    lock.readLock().lock();
    try {
      return dirtyBytesLocked();
    } finally {
      lock.readLock().unlock();
    }
  }

  long writebacks() {
    lock.readLock().lock();
    try {
      return writebacks;
    } finally {
      lock.readLock().unlock();
    }
  }

  private long dirtyBytesLocked() {
    long n = 0;
    for (byte[] p : pages.values()) {
      n += p.length;
    }
    for (Map.Entry<Long, Long> d : discards.entrySet()) {
      n += d.getValue() - d.getKey();
    }
    return n;
  }

  private void writeBackLocked(boolean sync) {
    // Entries are removed only after they reached the store, so a failed write-back loses nothing
    // and can be retried.
    while (!discards.isEmpty()) {
      Map.Entry<Long, Long> d = discards.firstEntry();
      base.discard(d.getKey(), d.getValue() - d.getKey());
      discards.remove(d.getKey());
    }
    while (!pages.isEmpty()) {
      long first = pages.firstKey();
      long last = first;
      int bytes = pages.get(first).length;
      while (bytes < 256 * PAGE && pages.containsKey(last + 1)) {
        last++;
        bytes += pages.get(last).length;
      }
      ByteBuffer run = ByteBuffer.allocate(bytes);
      for (long i = first; i <= last; i++) {
        run.put(pages.get(i));
      }
      run.flip();
      base.write(first * PAGE, run);
      pages.subMap(first, true, last, true).clear();
    }
    if (sync) {
      base.flush();
    }
  }

  private byte[] load(long idx) {
    long pageStart = idx * PAGE;
    int len = (int) Math.min(PAGE, base.size() - pageStart);
    byte[] page = new byte[len];
    base.read(pageStart, ByteBuffer.wrap(page));
    for (Map.Entry<Long, Long> d : overlapping(discards, pageStart, pageStart + len)) {
      long from = Math.max(pageStart, d.getKey());
      long to = Math.min(pageStart + len, d.getValue());
      java.util.Arrays.fill(page, (int) (from - pageStart), (int) (to - pageStart), (byte) 0);
    }
    return page;
  }

  private void addDiscard(long start, long end) {
    long s = start;
    long e = end;
    Map.Entry<Long, Long> before = discards.floorEntry(s);
    if (before != null && before.getValue() >= s) {
      s = before.getKey();
      e = Math.max(e, before.getValue());
    }
    Iterator<Map.Entry<Long, Long>> it = discards.tailMap(s, true).entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<Long, Long> next = it.next();
      if (next.getKey() > e) {
        break;
      }
      e = Math.max(e, next.getValue());
      it.remove();
    }
    discards.put(s, e);
  }

  private static Iterable<Map.Entry<Long, Long>> overlapping(
      TreeMap<Long, Long> ranges, long start, long end) {
    Long from = ranges.floorKey(start);
    return ranges.subMap(from == null ? start : from, true, end, false).entrySet().stream()
        .filter(r -> r.getValue() > start && r.getKey() < end)
        .toList();
  }

  private void checkBounds(long offset, long length) {
    long size = base.size();
    if (offset < 0 || length < 0 || offset > size || length > size - offset) {
      throw new dev.klcrypt.blockdev.BackingStoreIoException(
          "range at offset "
              + offset
              + " length "
              + length
              + " is outside the backing store of "
              + size
              + " bytes");
    }
  }
}
