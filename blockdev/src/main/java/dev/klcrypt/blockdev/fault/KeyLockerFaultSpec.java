package dev.klcrypt.blockdev.fault;

import java.util.Locale;

/**
 * A Key Locker platform fault named in a scenario. The fault harness only parses and schedules it;
 * the daemon hands it to the emulated platform when its trigger fires. {@code restoreFailure} is
 * set exactly when {@code kind} is {@link Kind#RESTORE_FAILURE}; {@code enabled} is the switch
 * position for the two feature switches and {@code true} otherwise.
 */
public record KeyLockerFaultSpec(Kind kind, RestoreFailure restoreFailure, boolean enabled)
    implements FaultSpec {

  /** The Key Locker fault kinds. */
  public enum Kind {
    /** The next IWKey restore (resume) fails in the way {@link RestoreFailure} names. */
    RESTORE_FAILURE("restore-failure"),
    /** Writing the sealed IWKey backup (suspend) fails. */
    BACKUP_WRITE_FAILURE("backup-write-failure"),
    /** The IWKey is replaced without taking a backup first: existing handles become useless. */
    IWKEY_REPLACED_WITHOUT_BACKUP("iwkey-replaced-without-backup"),
    /** Feature switch: the platform reports no IWKey backup support. */
    NO_BACKUP_SUPPORT("no-backup-support"),
    /** Feature switch: the IWKey is loaded with NoBackup set, so it can never be backed up. */
    NOBACKUP_IWKEY("nobackup-iwkey");

    private final String token;

    Kind(String token) {
      this.token = token;
    }

    /** The scenario-file spelling. */
    public String token() {
      return token;
    }

    /** Whether this kind is an on/off feature switch. */
    public boolean isSwitch() {
      return this == NO_BACKUP_SUPPORT || this == NOBACKUP_IWKEY;
    }
  }

  /** How a restore fails. {@code replayed} in a scenario file means {@link #WRONG_BOOT}. */
  public enum RestoreFailure {
    /** The sealed backup file is absent. */
    MISSING,
    /** The sealed backup fails authentication (flipped bytes, truncation). */
    CORRUPT,
    /** The backup is authentic but from another boot (a replayed old backup). */
    WRONG_BOOT,
    /** The backup cannot be unsealed on this platform (foreign platform key). */
    UNSEALABLE,
    /** The restore is refused outright, whatever the backup holds. */
    FORCED;

    /** The scenario-file spelling. */
    public String token() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  public KeyLockerFaultSpec {
    if ((kind == Kind.RESTORE_FAILURE) != (restoreFailure != null)) {
      throw new IllegalArgumentException(
          "restore failure kind is required for, and only for, restore-failure");
    }
    if (!enabled && !kind.isSwitch()) {
      throw new IllegalArgumentException(kind.token() + " is not a switch and cannot be off");
    }
  }

  /** A fault that is not a switch (or a switch turned on). */
  public static KeyLockerFaultSpec of(Kind kind) {
    return new KeyLockerFaultSpec(kind, null, true);
  }

  /** A restore failure of the given kind. */
  public static KeyLockerFaultSpec restoreFailure(RestoreFailure how) {
    return new KeyLockerFaultSpec(Kind.RESTORE_FAILURE, how, true);
  }

  @Override
  public boolean oneShot() {
    return true;
  }

  @Override
  public String text() {
    String base = "keylocker " + kind.token();
    if (kind == Kind.RESTORE_FAILURE) {
      return base + " kind=" + restoreFailure.token();
    }
    return kind.isSwitch() ? base + (enabled ? " state=on" : " state=off") : base;
  }
}
