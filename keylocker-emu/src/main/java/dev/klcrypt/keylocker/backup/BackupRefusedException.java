package dev.klcrypt.keylocker.backup;

/** The platform refused to restore an IWKey backup; {@link #reason()} says which way it was bad. */
public final class BackupRefusedException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Why a backup cannot be restored. */
  public enum Reason {
    /** No backup file. */
    MISSING("backup is missing"),
    /** Shorter than a sealed backup. */
    TRUNCATED("backup is truncated"),
    /** Bad magic, bad version, trailing bytes, or the seal does not authenticate. */
    CORRUPTED("backup is corrupted"),
    /** Sealed by another platform instance (another machine or an earlier power-on). */
    FOREIGN("backup was sealed by another platform"),
    /** Sealed in an earlier emulated boot of this platform. */
    EARLIER_BOOT("backup is from an earlier boot"),
    /** Older than the newest backup this boot made (a replayed copy). */
    REPLAYED("backup is a replayed older copy"),
    /** The platform could not unseal it (sealing key unavailable). */
    UNSEALABLE("backup cannot be unsealed"),
    /** Refused on purpose by an injected fault. */
    FORCED("restore failure forced by fault injection"),
    /** The platform holds no valid backup (IA32_IWKEYBACKUP_STATUS bit 0 clear). */
    NO_VALID_BACKUP("no valid backup (IWKeyBackup status invalid)");

    private final String text;

    Reason(String text) {
      this.text = text;
    }

    public String text() {
      return text;
    }
  }

  private final Reason reason;

  public BackupRefusedException(Reason reason, String detail) {
    super(reason.text() + (detail == null || detail.isEmpty() ? "" : ": " + detail));
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
