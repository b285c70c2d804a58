package dev.klcrypt.keylocker.cpu;

/**
 * What the emulated CPU offers (CPUID.07H:ECX[23] and leaf 19H). Switching a feature off makes the
 * CPU behave as hardware without it: instructions raise #UD, MSR writes #GP, LOADIWKEY refuses the
 * flag.
 *
 * @param keyLocker Key Locker present (CPUID.07H:ECX[23]); off = every instruction raises #UD
 * @param wide the WIDE instructions (EBX[2])
 * @param backup the IWKey backup MSRs (EBX[4])
 * @param noBackupFlag LOADIWKEY's NoBackup flag (ECX[0])
 * @param randomKeySource KeySource 1 (ECX[1])
 * @param cpl0Restriction, noEncryptRestriction, noDecryptRestriction the restrictions ENCODEKEY
 *     supports (EAX[2:0])
 */
public record CpuFeatures(
    boolean keyLocker,
    boolean wide,
    boolean backup,
    boolean noBackupFlag,
    boolean randomKeySource,
    boolean cpl0Restriction,
    boolean noEncryptRestriction,
    boolean noDecryptRestriction) {

  /** Everything the spec describes. */
  public static CpuFeatures all() {
    return new CpuFeatures(true, true, true, true, true, true, true, true);
  }

  public CpuFeatures withKeyLocker(boolean on) {
    return new CpuFeatures(
        on,
        wide,
        backup,
        noBackupFlag,
        randomKeySource,
        cpl0Restriction,
        noEncryptRestriction,
        noDecryptRestriction);
  }

  public CpuFeatures withWide(boolean on) {
    return new CpuFeatures(
        keyLocker,
        on,
        backup,
        noBackupFlag,
        randomKeySource,
        cpl0Restriction,
        noEncryptRestriction,
        noDecryptRestriction);
  }

  public CpuFeatures withBackup(boolean on) {
    return new CpuFeatures(
        keyLocker,
        wide,
        on,
        noBackupFlag,
        randomKeySource,
        cpl0Restriction,
        noEncryptRestriction,
        noDecryptRestriction);
  }

  public CpuFeatures withRandomKeySource(boolean on) {
    return new CpuFeatures(
        keyLocker,
        wide,
        backup,
        noBackupFlag,
        on,
        cpl0Restriction,
        noEncryptRestriction,
        noDecryptRestriction);
  }

  public CpuFeatures withNoBackupFlag(boolean on) {
    return new CpuFeatures(
        keyLocker,
        wide,
        backup,
        on,
        randomKeySource,
        cpl0Restriction,
        noEncryptRestriction,
        noDecryptRestriction);
  }

  /** The restriction bits ENCODEKEY accepts (CPUID.19H:EAX[2:0]). */
  int supportedRestrictionBits() {
    return (cpl0Restriction ? 1 : 0)
        | (noEncryptRestriction ? 2 : 0)
        | (noDecryptRestriction ? 4 : 0);
  }
}
