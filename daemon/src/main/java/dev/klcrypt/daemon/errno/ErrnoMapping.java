package dev.klcrypt.daemon.errno;

import dev.klcrypt.blockdev.BackingStoreIoException;
import dev.klcrypt.blockdev.DiscardNotAllowedException;
import dev.klcrypt.blockdev.HeaderFormatException;
import dev.klcrypt.blockdev.KdfMemoryLimitException;
import dev.klcrypt.blockdev.ReadOnlyVolumeException;
import dev.klcrypt.blockdev.UnsupportedFormatException;
import dev.klcrypt.blockdev.VolumeClosedException;
import dev.klcrypt.blockdev.VolumeRangeException;
import dev.klcrypt.blockdev.WrongPassphraseException;
import dev.klcrypt.blockdev.fault.InjectedFaultException;
import dev.klcrypt.keylocker.cpu.KeyLockerUnavailableException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

/**
 * The one place where exceptions become errno values, for FUSE replies ({@code -errno}) and
 * control-plane replies alike (design.md, "Errors at the FUSE boundary").
 */
public final class ErrnoMapping {
  private ErrnoMapping() {}

  /** The errno the kernel (or a control client) gets for {@code failure}. Never throws. */
  public static Errno of(Throwable failure) {
    return switch (failure) {
      case RequestRefusedException e -> e.errno();
      // Key Locker soft-disabled or absent: every request on every volume fails, nothing is written
      case KeyLockerUnavailableException e -> Errno.ENODEV;
      case VolumeClosedException e -> Errno.ENODEV;
      // an injected fault reports exactly the errno it was armed with (docs/FAULTS.md)
      case BackingStoreIoException e when e.getCause() instanceof InjectedFaultException f ->
          Errno.valueOf(f.errno().name());
      case BackingStoreIoException e -> Errno.EIO;
      case VolumeRangeException e -> Errno.EINVAL;
      case DiscardNotAllowedException e -> Errno.EOPNOTSUPP;
      case ReadOnlyVolumeException e -> Errno.EROFS;
      // cryptsetup answers a wrong passphrase with EPERM ("No key available with this passphrase")
      case WrongPassphraseException e -> Errno.EPERM;
      case HeaderFormatException e -> Errno.EINVAL;
      case UnsupportedFormatException e -> Errno.EINVAL;
      case KdfMemoryLimitException e -> Errno.ENOMEM;
      case java.io.UncheckedIOException e -> of(e.getCause());
      case NoSuchFileException e -> Errno.ENOENT;
      case AccessDeniedException e -> Errno.EACCES;
      case IOException e -> Errno.EIO;
      case IllegalArgumentException e -> Errno.EINVAL;
      case OutOfMemoryError e -> Errno.ENOMEM;
      default -> Errno.EIO;
    };
  }
}
