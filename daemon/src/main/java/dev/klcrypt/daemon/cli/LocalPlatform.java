package dev.klcrypt.daemon.cli;

import dev.klcrypt.keylocker.cpu.EmulatedPlatform;
import dev.klcrypt.keylocker.cpu.KeyLockerCpu;
import dev.klcrypt.keylocker.cpu.PlatformConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * An emulated Key Locker platform booted just for one CLI command (luksFormat, luksAddKey, ...),
 * like cryptsetup doing its crypto in its own process. Its state directory is private and removed
 * on close.
 */
final class LocalPlatform implements AutoCloseable {
  private final Path stateDir;
  private final EmulatedPlatform platform;

  private LocalPlatform(Path stateDir, EmulatedPlatform platform) {
    this.stateDir = stateDir;
    this.platform = platform;
  }

  static LocalPlatform boot() throws IOException {
    Path dir =
        Files.createTempDirectory(
            "klcrypt-cli-",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    try {
      return new LocalPlatform(dir, EmulatedPlatform.boot(PlatformConfig.defaults(dir)));
    } catch (RuntimeException e) {
      deleteTree(dir);
      throw e;
    }
  }

  KeyLockerCpu cpu() {
    return platform.cpu();
  }

  @Override
  public void close() throws IOException {
    try {
      platform.close();
    } finally {
      deleteTree(stateDir);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
