package dev.klcrypt.daemon.cli;

import dev.klcrypt.daemon.errno.Errno;

/**
 * The exit codes of {@code klcrypt}: fixed numbers, never reused (a retired meaning keeps its
 * number reserved). 0-5 follow cryptsetup(8); 6 and up are klcrypt's own. Listed in docs/CLI.md and
 * the README.
 */
public enum ExitCode {
  SUCCESS(0, "success"),
  WRONG_PARAMETERS(1, "wrong parameters or usage; not a LUKS image"),
  NO_PERMISSION(2, "no permission: wrong passphrase, or the key file / image cannot be read"),
  OUT_OF_MEMORY(3, "out of memory (the keyslot's Argon2 memory is above the limit)"),
  WRONG_DEVICE(4, "wrong device or file: no such image, key file or open volume"),
  DEVICE_BUSY(5, "device exists or is busy: name taken, image already open, volume in use"),
  DAEMON_UNREACHABLE(6, "klcryptd does not answer on RUNTIME-DIR/control.sock"),
  KEY_LOCKER_UNAVAILABLE(
      7, "Key Locker unavailable (soft-disabled after a failed restore): ENODEV"),
  IO_ERROR(8, "I/O error on the image, the volume or a loop device"),
  INTERNAL_ERROR(9, "unexpected error (a klcrypt bug; see the message)");

  private final int code;
  private final String meaning;

  ExitCode(int code, String meaning) {
    this.code = code;
    this.meaning = meaning;
  }

  public int code() {
    return code;
  }

  public String meaning() {
    return meaning;
  }

  /** The exit code for a failure reported as an errno (locally mapped or from a daemon reply). */
  public static ExitCode of(Errno errno) {
    return switch (errno) {
      case OK -> SUCCESS;
      case EPERM, EACCES, EROFS -> NO_PERMISSION;
      case ENOMEM -> OUT_OF_MEMORY;
      case ENOENT, ENOTDIR, EISDIR, EBADF -> WRONG_DEVICE;
      case EEXIST, EBUSY -> DEVICE_BUSY;
      case ENODEV -> KEY_LOCKER_UNAVAILABLE;
      case EIO, ENXIO, ENOSPC, EFBIG, ETIMEDOUT -> IO_ERROR;
      case EINVAL, ENAMETOOLONG, EOPNOTSUPP -> WRONG_PARAMETERS;
      case ENOSYS, EPROTO, EMSGSIZE -> INTERNAL_ERROR;
    };
  }
}
