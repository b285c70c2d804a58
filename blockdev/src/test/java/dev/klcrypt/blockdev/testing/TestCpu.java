package dev.klcrypt.blockdev.testing;

import dev.klcrypt.keylocker.cpu.EmulatedPlatform;
import dev.klcrypt.keylocker.cpu.KeyLockerCpu;
import dev.klcrypt.keylocker.cpu.PlatformConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One emulated Key Locker platform per test JVM, booted on first use with its state in a temp
 * directory.
 */
public final class TestCpu {
  private static EmulatedPlatform platform;

  private TestCpu() {}

  public static synchronized KeyLockerCpu cpu() {
    if (platform == null) {
      try {
        Path dir = Files.createTempDirectory("klcrypt-blockdev-platform");
        dir.toFile().deleteOnExit();
        platform = EmulatedPlatform.boot(PlatformConfig.defaults(dir));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return platform.cpu();
  }
}
