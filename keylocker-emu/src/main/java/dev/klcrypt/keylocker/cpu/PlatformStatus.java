package dev.klcrypt.keylocker.cpu;

import java.util.List;

/**
 * The platform's state for status reports.
 *
 * @param disabledReason why Key Locker is soft-disabled, or null
 * @param lastRestoreFailure the last restore failure's message, or null
 * @param copyStatus IA32_COPY_STATUS (0x990)
 * @param backupStatus IA32_IWKEYBACKUP_STATUS (0x991)
 */
public record PlatformStatus(
    long bootNumber,
    boolean keyLockerPresent,
    boolean iwKeyLoaded,
    KeySource keySource,
    boolean noBackup,
    boolean suspended,
    String disabledReason,
    String lastRestoreFailure,
    long copyStatus,
    long backupStatus,
    List<String> warnings) {

  public boolean softDisabled() {
    return disabledReason != null;
  }
}
