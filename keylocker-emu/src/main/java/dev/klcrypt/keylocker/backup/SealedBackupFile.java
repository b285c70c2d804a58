package dev.klcrypt.keylocker.backup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;

/**
 * The platform's storage for the IWKey backup: one file, written atomically (temp file, fsync,
 * rename, fsync of the directory) with mode 0600, read back with a reason for every way it can be
 * bad.
 */
public final class SealedBackupFile {
  private final Path path;

  public SealedBackupFile(Path path) {
    this.path = path;
  }

  public Path path() {
    return path;
  }

  /** Writes the backup so that a crash leaves either the old file or the new one, never a mix. */
  public void write(SealedBackup backup) throws IOException {
    Path dir = path.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp =
        Files.createTempFile(
            dir,
            "." + path.getFileName() + ".",
            ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ByteBuffer b = ByteBuffer.wrap(backup.encode());
        while (b.hasRemaining()) {
          ch.write(b);
        }
        ch.force(true);
      }
      try {
        Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("cannot replace " + path + " atomically", e);
      }
      try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
        d.force(true);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * Reads and parses the backup.
   *
   * @throws BackupRefusedException MISSING, TRUNCATED or CORRUPTED (format); the platform checks
   *     the rest
   * @throws IOException the storage could not be read
   */
  public SealedBackup read() throws BackupRefusedException, IOException {
    byte[] raw;
    try {
      raw = Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      throw new BackupRefusedException(BackupRefusedException.Reason.MISSING, path.toString());
    }
    if (raw.length < SealedBackup.TOTAL_BYTES) {
      throw new BackupRefusedException(
          BackupRefusedException.Reason.TRUNCATED,
          path + " has " + raw.length + " of " + SealedBackup.TOTAL_BYTES + " bytes");
    }
    if (raw.length > SealedBackup.TOTAL_BYTES) {
      throw new BackupRefusedException(
          BackupRefusedException.Reason.CORRUPTED,
          path + " has " + (raw.length - SealedBackup.TOTAL_BYTES) + " trailing bytes");
    }
    if (!Arrays.equals(raw, 0, 8, SealedBackup.MAGIC, 0, 8)) {
      throw new BackupRefusedException(
          BackupRefusedException.Reason.CORRUPTED, path + ": bad magic at offset 0");
    }
    ByteBuffer b = ByteBuffer.wrap(raw);
    int version = b.getShort(8) & 0xffff;
    if (version != SealedBackup.VERSION) {
      throw new BackupRefusedException(
          BackupRefusedException.Reason.CORRUPTED,
          path + ": unknown version " + version + " at offset 8");
    }
    return new SealedBackup(
        Arrays.copyOfRange(raw, 12, 28),
        b.getLong(28),
        b.getLong(36),
        b.getInt(44),
        Arrays.copyOfRange(raw, 48, 64),
        Arrays.copyOfRange(raw, 64, 112));
  }
}
