package dev.klcrypt.daemon.fuse;

import dev.klcrypt.daemon.errno.Errno;

/**
 * Observes every FUSE callback after {@link FuseGuard} ran it: the seam for metrics (ops, bytes,
 * latency, errors by errno). Called on the FUSE thread, so implementations must be cheap and must
 * not throw.
 */
public interface FuseOpListener {
  /** A listener that ignores everything. */
  FuseOpListener NONE =
      new FuseOpListener() {
        @Override
        public void completed(FuseOp op, String volume, long result, long nanos) {}

        @Override
        public void failed(FuseOp op, String volume, Errno errno, long nanos) {}
      };

  /**
   * The callback succeeded.
   *
   * @param volume the volume name, or "" for the root directory
   * @param result the callback's non-negative result (bytes for read and write)
   */
  void completed(FuseOp op, String volume, long result, long nanos);

  /** The callback failed and the kernel got {@code -errno}. */
  void failed(FuseOp op, String volume, Errno errno, long nanos);
}
