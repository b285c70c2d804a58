package dev.klcrypt.daemon.fuse;

import dev.klcrypt.daemon.errno.Errno;
import dev.klcrypt.daemon.errno.ErrnoMapping;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs every FUSE callback: nothing thrown ever reaches jnr-fuse's native frame (it has no
 * try/catch), every failure becomes {@code -errno} through {@link ErrnoMapping}, is logged once
 * with op, volume and range, and is reported to the {@link FuseOpListener}.
 */
public final class FuseGuard {
  private static final Logger LOG = LoggerFactory.getLogger(FuseGuard.class);

  /** A callback body: returns a non-negative result or throws. */
  @FunctionalInterface
  public interface Body {
    long run() throws Exception;
  }

  /**
   * At most one warning per op, volume and errno per this many nanoseconds; the rest are counted.
   */
  private static final long LOG_INTERVAL_NANOS = 1_000_000_000L;

  private volatile FuseOpListener listener;
  private final java.util.concurrent.ConcurrentHashMap<String, long[]> lastLogged =
      new java.util.concurrent.ConcurrentHashMap<>();

  public FuseGuard(FuseOpListener listener) {
    this.listener = listener;
  }

  /** Replaces the listener (metrics are wired after the filesystem is built). */
  public void listener(FuseOpListener listener) {
    this.listener = listener;
  }

  /**
   * Rate-limits warnings (a Key Locker outage fails every request on every volume): returns -1 to
   * stay quiet, else how many were suppressed since the last warning for {@code key}.
   */
  private long admitLog(String key) {
    long now = System.nanoTime();
    long[] state = lastLogged.computeIfAbsent(key, k -> new long[] {now - LOG_INTERVAL_NANOS, 0});
    synchronized (state) {
      if (now - state[0] < LOG_INTERVAL_NANOS) {
        state[1]++;
        return -1;
      }
      long suppressed = state[1];
      state[0] = now;
      state[1] = 0;
      return suppressed;
    }
  }

  /**
   * Runs {@code body} for one callback.
   *
   * @param volume the volume name, "" for the root directory
   * @param offset byte offset for logs (-1 when the op has none)
   * @param length byte count for logs (-1 when the op has none)
   * @return the body's result, or {@code -errno}
   */
  public int run(FuseOp op, String volume, long offset, long length, Body body) {
    long start = System.nanoTime();
    long result;
    try {
      result = body.run();
    } catch (Throwable failure) {
      Errno errno = ErrnoMapping.of(failure);
      long nanos = System.nanoTime() - start;
      if (errno == Errno.ENOENT || (errno == Errno.EOPNOTSUPP && op == FuseOp.FALLOCATE)) {
        LOG.debug("fuse {} {} -> {}: {}", op.label(), volume, errno, failure.getMessage());
      } else {
        long suppressed = admitLog(op.label() + ' ' + volume + ' ' + errno.name());
        if (suppressed >= 0) {
          String more =
              suppressed > 0 ? " (" + suppressed + " more like it since the last warning)" : "";
          if (offset >= 0) {
            LOG.warn(
                "fuse {} on volume {} at offset {} length {} -> {}: {}{}",
                op.label(),
                volume,
                offset,
                length,
                errno,
                failure.toString(),
                more);
          } else {
            LOG.warn(
                "fuse {} on volume {} -> {}: {}{}",
                op.label(),
                volume,
                errno,
                failure.toString(),
                more);
          }
        }
      }
      try {
        listener.failed(op, volume, errno, nanos);
      } catch (RuntimeException listenerFailure) {
        LOG.error("fuse op listener failed: {}", listenerFailure.toString());
      }
      return -errno.code();
    }
    try {
      listener.completed(op, volume, result, System.nanoTime() - start);
    } catch (RuntimeException listenerFailure) {
      LOG.error("fuse op listener failed: {}", listenerFailure.toString());
    }
    return (int) result;
  }
}
