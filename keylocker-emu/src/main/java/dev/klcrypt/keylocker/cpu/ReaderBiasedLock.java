package dev.klcrypt.keylocker.cpu;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A read-write lock for the CPU state where reads (every AES-KL instruction) are millions per
 * second on every core and writes (IWKey load, loss, replacement) are rare. A reader only touches
 * its own padded counter slot, so concurrent instructions share no cache line; a writer raises a
 * flag and waits until every slot is zero.
 *
 * <p>Correct because both sides use sequentially consistent operations: a reader increments its
 * slot, then reads the flag; a writer sets the flag, then reads the slots. One of them sees the
 * other, so a reader either backs off or is waited for.
 */
final class ReaderBiasedLock {
  private static final int SLOTS = 64;
  private static final int PAD = 16; // 16 longs = 128 bytes per slot: no false sharing

  private final AtomicLongArray readers = new AtomicLongArray(SLOTS * PAD);
  private final ReentrantLock writers = new ReentrantLock();
  private volatile boolean writerActive;

  private static int slot() {
    long id = Thread.currentThread().threadId();
    return (int) ((id ^ (id >>> 7)) & (SLOTS - 1)) * PAD;
  }

  /** Acquires a read hold; returns the token to pass to {@link #unlockRead}. */
  int lockRead() {
    int s = slot();
    while (true) {
      readers.incrementAndGet(s);
      if (!writerActive) {
        return s;
      }
      readers.decrementAndGet(s);
      writers.lock(); // wait for the writer to finish
      writers.unlock();
    }
  }

  void unlockRead(int token) {
    readers.decrementAndGet(token);
  }

  /** Acquires the exclusive hold: waits for every reader to leave. Not reentrant. */
  void lockWrite() {
    writers.lock();
    writerActive = true;
    for (int s = 0; s < SLOTS * PAD; s += PAD) {
      while (readers.get(s) != 0) {
        LockSupport.parkNanos(1_000);
      }
    }
  }

  void unlockWrite() {
    writerActive = false;
    writers.unlock();
  }
}
