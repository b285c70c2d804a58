package dev.klcrypt.blockdev.volume;

import dev.klcrypt.keylocker.xts.XtsSectorCipher;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a large whole-sector XTS batch on several cores: the batch is cut into sector-aligned parts,
 * the caller does the first and helper threads the rest. A caller whose parts have not started yet
 * runs them itself, so a busy pool costs latency, never a deadlock. Batches below {@link
 * #PARALLEL_MIN} bytes, or whose memory only the caller's thread may touch (confined arenas), stay
 * on the calling thread.
 */
final class SectorCrypto {
  static final long PARALLEL_MIN = 256 * 1024;

  /**
   * Threads per batch, caller included: {@code -Dklcrypt.xts.threads=N} (at most the core count).
   * Default 1, no helpers: on the shared 2-core test machine two threads showed no gain over one
   * (docs/LUKS.md), and FUSE requests are below the threshold anyway. The tests run with 2 so the
   * split path stays proven.
   */
  private static final int PARTS =
      Math.max(
          1,
          Math.min(
              Integer.getInteger("klcrypt.xts.threads", 1),
              Runtime.getRuntime().availableProcessors()));

  private static final AtomicInteger THREADS = new AtomicInteger();
  private static volatile Thread aHelper;
  private static final ThreadPoolExecutor HELPERS = PARTS > 1 ? helpers() : null;

  private static ThreadPoolExecutor helpers() {
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            PARTS - 1,
            PARTS - 1,
            0,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            r -> {
              Thread t = new Thread(r, "klcrypt-xts-" + THREADS.incrementAndGet());
              t.setDaemon(true);
              aHelper = t;
              return t;
            });
    // start the workers now (they run no code of this class before it is initialised), so that a
    // helper Thread
    // exists to test segment accessibility against
    pool.prestartAllCoreThreads();
    return pool;
  }

  private SectorCrypto() {}

  /**
   * Encrypts or decrypts whole sectors from {@code src} to {@code dst} (may be the same segment).
   *
   * @param iv plain64 IV (512-byte units) of the first sector
   */
  static void run(
      XtsSectorCipher cipher, boolean encrypt, long iv, MemorySegment src, MemorySegment dst) {
    long n = src.byteSize();
    Thread helper = aHelper;
    int sector = cipher.sectorSize();
    if (HELPERS == null
        || n < PARALLEL_MIN
        || helper == null
        || !src.isAccessibleBy(helper)
        || !dst.isAccessibleBy(helper)) {
      crypt(cipher, encrypt, iv, src, dst);
      return;
    }
    long sectors = n / sector;
    long per = (sectors + PARTS - 1) / PARTS * sector;
    List<FutureTask<Void>> tasks = new ArrayList<>(PARTS - 1);
    for (int p = 1; p < PARTS; p++) {
      long off = p * per;
      if (off >= n) {
        break;
      }
      long len = Math.min(per, n - off);
      MemorySegment s = src.asSlice(off, len);
      MemorySegment d = dst.asSlice(off, len);
      long partIv = iv + off / SectorMath.IV_UNIT;
      FutureTask<Void> task =
          new FutureTask<>(
              () -> {
                crypt(cipher, encrypt, partIv, s, d);
                return null;
              });
      tasks.add(task);
      HELPERS.execute(task);
    }
    crypt(cipher, encrypt, iv, src.asSlice(0, Math.min(per, n)), dst.asSlice(0, Math.min(per, n)));
    for (FutureTask<Void> task : tasks) {
      task.run(); // no-op if a helper already took it
      try {
        task.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for sector crypto", e);
      } catch (ExecutionException e) {
        Throwable c = e.getCause();
        if (c instanceof RuntimeException re) {
          throw re;
        }
        if (c instanceof Error err) {
          throw err;
        }
        throw new IllegalStateException(c);
      }
    }
  }

  private static void crypt(
      XtsSectorCipher cipher, boolean encrypt, long iv, MemorySegment src, MemorySegment dst) {
    if (encrypt) {
      cipher.encrypt(iv, src, dst);
    } else {
      cipher.decrypt(iv, src, dst);
    }
  }
}
