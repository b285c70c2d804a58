package dev.klcrypt.keylocker.cpu;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How the emulated platform boots.
 *
 * @param features what the CPU offers
 * @param stateDir persistent platform state; the sealed IWKey backup is {@code
 *     stateDir/iwkey.backup}
 * @param keySource the key source the OS asks for at every boot (falls back to SOFTWARE, with a
 *     warning, on a CPU without KeySource 1)
 * @param noBackup load the IWKey with the NoBackup flag (then suspend cannot preserve it)
 */
public record PlatformConfig(
    CpuFeatures features, Path stateDir, KeySource keySource, boolean noBackup) {
  public static final String BACKUP_FILE = "iwkey.backup";

  public PlatformConfig {
    Objects.requireNonNull(features, "features");
    Objects.requireNonNull(stateDir, "stateDir");
    Objects.requireNonNull(keySource, "keySource");
  }

  /** Every feature, software key source, backups allowed. */
  public static PlatformConfig defaults(Path stateDir) {
    return new PlatformConfig(CpuFeatures.all(), stateDir, KeySource.SOFTWARE, false);
  }

  public PlatformConfig withFeatures(CpuFeatures f) {
    return new PlatformConfig(f, stateDir, keySource, noBackup);
  }

  public PlatformConfig withKeySource(KeySource s) {
    return new PlatformConfig(features, stateDir, s, noBackup);
  }

  public PlatformConfig withNoBackup(boolean on) {
    return new PlatformConfig(features, stateDir, keySource, on);
  }

  public Path backupFile() {
    return stateDir.resolve(BACKUP_FILE);
  }
}
