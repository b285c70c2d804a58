package dev.klcrypt.daemon.fuse;

/**
 * The FUSE callbacks {@link VolumeFileSystem} implements; the label is what logs and metrics show.
 */
public enum FuseOp {
  GETATTR,
  READDIR,
  OPEN,
  READ,
  WRITE,
  FLUSH,
  FSYNC,
  FALLOCATE,
  STATFS,
  RELEASE,
  TRUNCATE;

  /** Lower-case name for logs and metric tags. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
