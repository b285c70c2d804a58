package dev.klcrypt.keylocker.cpu;

import dev.klcrypt.keylocker.backup.BackupRefusedException;

/**
 * What a resume did: restored the IWKey, or failed (and soft-disabled Key Locker) for {@code
 * reason}.
 *
 * @param reason null when restored
 */
public record RestoreOutcome(
    boolean restored, BackupRefusedException.Reason reason, String message) {
  static RestoreOutcome ok() {
    return new RestoreOutcome(true, null, "IWKey restored from the platform backup");
  }

  static RestoreOutcome failed(BackupRefusedException e) {
    return new RestoreOutcome(false, e.reason(), e.getMessage());
  }
}
