package dev.klcrypt.keylocker.cpu;

/**
 * A CPUID leaf 19H report (plus the CPUID.07H:ECX[23] Key Locker bit).
 *
 * <p>EAX[0] CPL0-only restriction, EAX[1] no-encrypt, EAX[2] no-decrypt; EBX[0] AESKLE, EBX[2]
 * WIDE_KL, EBX[4] backup MSRs; ECX[0] NoBackup, ECX[1] KeySource 1.
 */
public record CpuidLeaf19(boolean keyLocker, int eax, int ebx, int ecx) {
  static CpuidLeaf19 of(CpuFeatures f) {
    if (!f.keyLocker()) {
      return new CpuidLeaf19(false, 0, 0, 0);
    }
    int eax = f.supportedRestrictionBits();
    int ebx = 1 | (f.wide() ? 4 : 0) | (f.backup() ? 16 : 0);
    int ecx = (f.noBackupFlag() ? 1 : 0) | (f.randomKeySource() ? 2 : 0);
    return new CpuidLeaf19(true, eax, ebx, ecx);
  }

  public boolean aeskle() {
    return (ebx & 1) != 0;
  }

  public boolean wideKl() {
    return (ebx & 4) != 0;
  }

  public boolean backupMsrs() {
    return (ebx & 16) != 0;
  }

  public boolean noBackupSupported() {
    return (ecx & 1) != 0;
  }

  public boolean randomKeySource() {
    return (ecx & 2) != 0;
  }

  @Override
  public String toString() {
    return String.format(
        "CPUID.07H:ECX[23]=%d leaf19H: EAX=%#x EBX=%#x ECX=%#x", keyLocker ? 1 : 0, eax, ebx, ecx);
  }
}
