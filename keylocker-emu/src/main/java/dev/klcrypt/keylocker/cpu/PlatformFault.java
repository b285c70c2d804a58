package dev.klcrypt.keylocker.cpu;

/**
 * Key Locker faults the platform can inject (armed until they fire). Restore faults damage or
 * replace the real backup file, so the real refusal path runs.
 */
public enum PlatformFault {
  /** The next restore finds no backup file (it is deleted). */
  RESTORE_MISSING,
  /** The next restore finds the backup truncated. */
  RESTORE_TRUNCATED,
  /** The next restore finds one byte of the sealed key flipped. */
  RESTORE_CORRUPT,
  /** The next restore finds a backup sealed in the previous boot. */
  RESTORE_EARLIER_BOOT,
  /** The next restore finds an older backup of this boot (a replay). */
  RESTORE_REPLAYED,
  /** The next restore finds a backup sealed by another platform. */
  RESTORE_FOREIGN,
  /** The next restore cannot unseal (sealing key unavailable). */
  RESTORE_UNSEALABLE,
  /** The next restore fails without a storage reason. */
  RESTORE_FORCED,
  /** The next backup write fails with a storage error (IA32_IWKEYBACKUP_STATUS bit 2). */
  BACKUP_WRITE_FAILURE,
  /** The next LOADIWKEY with KeySource 1 finds no entropy (ZF=1, old key kept). */
  ENTROPY_FAILURE;

  boolean restoreFault() {
    return name().startsWith("RESTORE_");
  }
}
