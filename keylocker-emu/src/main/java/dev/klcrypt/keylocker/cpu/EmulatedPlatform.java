package dev.klcrypt.keylocker.cpu;

import dev.klcrypt.keylocker.backup.BackupRefusedException;
import dev.klcrypt.keylocker.backup.SealedBackup;
import dev.klcrypt.keylocker.backup.SealedBackupFile;
import dev.klcrypt.keylocker.memory.ClearKey;
import dev.klcrypt.keylocker.memory.LockedMemory;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The emulated platform: one Key Locker CPU, its IWKey, the backup MSRs and the platform storage
 * behind them (a sealed file), and the power states S3/S4 (suspend/resume) and S5 (reboot). This is
 * the privileged side: only the "OS" holding this object can load the IWKey or move it to and from
 * the platform. Volume code gets {@link #cpu()}.
 *
 * <p>Sealing: the platform's sealing keys are generated at power-on (object creation) in locked
 * memory, as fused secrets would be; the backup is SIV-sealed under them with the platform instance
 * id, boot number and backup sequence as associated data. So a backup from another platform (or an
 * earlier power-on), from an earlier boot, or older than the newest one is refused with its own
 * reason.
 */
public final class EmulatedPlatform implements AutoCloseable {
  public static final int IA32_COPY_LOCAL_TO_PLATFORM = 0xD91;
  public static final int IA32_COPY_PLATFORM_TO_LOCAL = 0xD92;
  public static final int IA32_COPY_STATUS = 0x990;
  public static final int IA32_IWKEYBACKUP_STATUS = 0x991;

  private static final int LOAD_RETRIES = 10;

  private final PlatformConfig bootConfig;
  private volatile PlatformConfig config;
  private PlatformConfig nextBoot;
  private final CpuCore core;
  private final KeyLockerCpu cpu;
  private final SealedBackupFile backupFile;
  private final byte[] platformId = new byte[16];
  private final LockedMemory sealing = LockedMemory.allocate(2L * NativeCore.SCHED_BYTES);
  private final List<String> warnings = new ArrayList<>();
  private final Set<PlatformFault> armed = EnumSet.noneOf(PlatformFault.class);

  private long bootNumber;
  private long backupSequence;
  private long copyStatus;
  private long backupStatus;
  private boolean suspended;
  private String lastRestoreFailure;
  private BackupRefusedException lastRestoreError;

  private EmulatedPlatform(PlatformConfig config) {
    this.bootConfig = config;
    this.config = config;
    this.nextBoot = config;
    this.core = new CpuCore(config.features());
    this.cpu = new KeyLockerCpu(core, 0);
    this.backupFile = new SealedBackupFile(config.backupFile());
    new SecureRandom().nextBytes(platformId);
    try (LockedMemory keys = LockedMemory.allocate(48)) {
      if (NativeCore.random(keys.segment()) != 0) {
        throw new IllegalStateException("no entropy for the platform sealing keys");
      }
      NativeCore.expand(keys.segment().asSlice(0, 16), macSchedule());
      NativeCore.expand(keys.segment().asSlice(16, 32), encSchedule());
    }
  }

  /**
   * Powers the platform on and boots it: loads a fresh IWKey and backs it up, as Linux does at
   * boot.
   */
  public static EmulatedPlatform boot(PlatformConfig config) {
    EmulatedPlatform p = new EmulatedPlatform(config);
    try {
      Files.createDirectories(config.stateDir());
      p.bootSequence();
    } catch (IOException | RuntimeException e) {
      p.close();
      if (e instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException("cannot create platform state dir " + config.stateDir(), e);
    }
    return p;
  }

  private MemorySegment macSchedule() {
    return sealing.segment().asSlice(0, NativeCore.SCHED_BYTES);
  }

  private MemorySegment encSchedule() {
    return sealing.segment().asSlice(NativeCore.SCHED_BYTES, NativeCore.SCHED_BYTES);
  }

  private synchronized void bootSequence() {
    bootNumber++;
    backupSequence = 0;
    suspended = false;
    core.reEnable();
    copyStatus = 0;
    backupStatus = 0;
    if (!config.features().keyLocker()) {
      warn("Key Locker absent: no IWKey loaded; AES-KL instructions raise #UD");
      return;
    }
    loadFreshIwKey();
    if (config.features().backup() && !core.iwNoBackup()) {
      wrmsr(IA32_COPY_LOCAL_TO_PLATFORM, 1);
    }
  }

  private void warn(String w) {
    if (!warnings.contains(w)) {
      warnings.add(w);
    }
  }

  /** The CPU as kernel code (CPL 0) sees it. */
  public KeyLockerCpu cpu() {
    return cpu;
  }

  public PlatformConfig config() {
    return config;
  }

  /**
   * LOADIWKEY with software-provided registers. Privileged.
   *
   * @return false when KeySource 1 found no entropy (ZF=1; the old IWKey stays)
   */
  public synchronized boolean loadIwKey(
      ClearKey integrityKey, ClearKey encryptionKey, KeySource source, boolean noBackup) {
    return core.loadIwKey(integrityKey, encryptionKey, source, noBackup);
  }

  /**
   * What the OS does at boot: random registers, LOADIWKEY with the configured source (retried on
   * ZF=1, as an early kernel did 10 times), registers wiped.
   */
  public synchronized void loadFreshIwKey() {
    KeySource source = config.keySource();
    if (source == KeySource.HARDWARE_RANDOM && !config.features().randomKeySource()) {
      warn(
          "KeySource 1 (hardware random) not supported by this CPU; using software-provided IWKey");
      source = KeySource.SOFTWARE;
    }
    boolean noBackup = config.noBackup();
    if (noBackup && !config.features().noBackupFlag()) {
      warn("NoBackup flag not supported by this CPU; IWKey loaded without it");
      noBackup = false;
    }
    for (int attempt = 0; attempt < LOAD_RETRIES; attempt++) {
      try (ClearKey integrity = ClearKey.allocate(16);
          ClearKey enc = ClearKey.allocate(32)) {
        if (NativeCore.random(integrity.segment()) != 0 || NativeCore.random(enc.segment()) != 0) {
          throw new IllegalStateException("getrandom failed while making an IWKey");
        }
        if (core.loadIwKey(integrity, enc, source, noBackup)) {
          return;
        }
      }
    }
    throw new IllegalStateException(
        "LOADIWKEY failed " + LOAD_RETRIES + " times (no entropy for KeySource 1)");
  }

  /** RDMSR of the backup status MSRs. */
  public synchronized long rdmsr(int msr) {
    requireBackupMsrs(msr);
    return switch (msr) {
      case IA32_COPY_STATUS -> copyStatus;
      case IA32_IWKEYBACKUP_STATUS -> backupStatus;
      default ->
          throw new KeyLockerFaultException(
              KeyLockerFaultException.Kind.GENERAL_PROTECTION,
              String.format("RDMSR %#x: not readable", msr));
    };
  }

  /** WRMSR: 1 to 0xD91 backs the IWKey up to the platform; 1 to 0xD92 restores it. */
  public synchronized void wrmsr(int msr, long value) {
    requireBackupMsrs(msr);
    if (value != 1) {
      throw new KeyLockerFaultException(
          KeyLockerFaultException.Kind.GENERAL_PROTECTION,
          String.format("WRMSR %#x: only the value 1 is defined", msr));
    }
    switch (msr) {
      case IA32_COPY_LOCAL_TO_PLATFORM -> copyLocalToPlatform();
      case IA32_COPY_PLATFORM_TO_LOCAL -> copyPlatformToLocal();
      default ->
          throw new KeyLockerFaultException(
              KeyLockerFaultException.Kind.GENERAL_PROTECTION,
              String.format("WRMSR %#x: not writable", msr));
    }
  }

  private void requireBackupMsrs(int msr) {
    if (!config.features().keyLocker() || !config.features().backup()) {
      throw new KeyLockerFaultException(
          KeyLockerFaultException.Kind.GENERAL_PROTECTION,
          String.format("MSR %#x absent (CPUID.19H:EBX[4]=0)", msr));
    }
  }

  private void copyLocalToPlatform() {
    if (!core.iwKeyLoaded() || core.iwNoBackup()) {
      copyStatus = 0;
      backupStatus = 0;
      core.counters.backup(false);
      return;
    }
    if (armed.remove(PlatformFault.BACKUP_WRITE_FAILURE)) {
      copyStatus = 0;
      backupStatus = 0x4;
      core.counters.backup(false);
      return;
    }
    try {
      backupFile.write(seal(platformId, bootNumber, ++backupSequence));
      copyStatus = 1;
      backupStatus = 0x9;
      core.counters.backup(true);
    } catch (IOException e) {
      copyStatus = 0;
      backupStatus = 0x4;
      core.counters.backup(false);
    }
  }

  private SealedBackup seal(byte[] id, long boot, long sequence) {
    int flags = (core.iwNoBackup() ? 1 : 0) | core.iwKeySource().code() << 1;
    byte[] header = SealedBackup.header(id, boot, sequence, flags);
    byte[] tag = new byte[16];
    byte[] ct = new byte[48];
    core.withIwKey(
        iw ->
            NativeCore.sivSeal(
                macSchedule(),
                encSchedule(),
                MemorySegment.ofArray(header),
                iw,
                MemorySegment.ofArray(tag),
                MemorySegment.ofArray(ct)));
    return new SealedBackup(id, boot, sequence, flags, tag, ct);
  }

  private void copyPlatformToLocal() {
    try {
      BackupRefusedException forced = applyArmedRestoreFault();
      if (forced != null) {
        throw forced;
      }
      SealedBackup b;
      try {
        b = backupFile.read();
      } catch (IOException e) {
        backupStatus |= 0x4;
        throw new BackupRefusedException(
            BackupRefusedException.Reason.MISSING, "storage read error: " + e.getMessage());
      }
      unsealAndInstall(b);
      copyStatus = 1;
      lastRestoreError = null;
      core.counters.restore(true);
    } catch (BackupRefusedException e) {
      copyStatus = 0;
      lastRestoreError = e;
      lastRestoreFailure = e.getMessage();
      core.counters.restore(false);
    }
  }

  private void unsealAndInstall(SealedBackup b) throws BackupRefusedException {
    if (!java.util.Arrays.equals(b.platformId(), platformId)) {
      throw new BackupRefusedException(
          BackupRefusedException.Reason.FOREIGN, "platform id does not match this platform");
    }
    if (b.bootNumber() < bootNumber) {
      throw new BackupRefusedException(
          BackupRefusedException.Reason.EARLIER_BOOT,
          "sealed in boot " + b.bootNumber() + ", this is boot " + bootNumber);
    }
    if (b.bootNumber() > bootNumber) {
      throw new BackupRefusedException(
          BackupRefusedException.Reason.CORRUPTED,
          "claims boot " + b.bootNumber() + " but this is boot " + bootNumber);
    }
    if (b.sequence() < backupSequence) {
      throw new BackupRefusedException(
          BackupRefusedException.Reason.REPLAYED,
          "backup " + b.sequence() + " is older than the newest backup " + backupSequence);
    }
    try (LockedMemory key = LockedMemory.allocate(48)) {
      boolean ok =
          NativeCore.sivOpen(
              macSchedule(),
              encSchedule(),
              MemorySegment.ofArray(b.header()),
              MemorySegment.ofArray(b.tag()),
              MemorySegment.ofArray(b.sealedKey()),
              key.segment());
      if (!ok) {
        throw new BackupRefusedException(
            BackupRefusedException.Reason.CORRUPTED, "seal does not authenticate");
      }
      KeySource source =
          (b.flags() >>> 1 & 0xF) == 1 ? KeySource.HARDWARE_RANDOM : KeySource.SOFTWARE;
      core.install(key.segment(), source, (b.flags() & 1) != 0);
    }
  }

  /**
   * Applies an armed restore fault to the real backup file; returns an exception for faults that
   * refuse directly.
   */
  private BackupRefusedException applyArmedRestoreFault() {
    PlatformFault f = armed.stream().filter(PlatformFault::restoreFault).findFirst().orElse(null);
    if (f == null) {
      return null;
    }
    armed.remove(f);
    try {
      switch (f) {
        case RESTORE_MISSING -> Files.deleteIfExists(backupFile.path());
        case RESTORE_TRUNCATED -> {
          byte[] raw = Files.readAllBytes(backupFile.path());
          Files.write(
              backupFile.path(),
              java.util.Arrays.copyOf(raw, raw.length / 2),
              StandardOpenOption.TRUNCATE_EXISTING);
        }
        case RESTORE_CORRUPT -> {
          byte[] raw = Files.readAllBytes(backupFile.path());
          raw[raw.length - 1] ^= 0x01;
          Files.write(backupFile.path(), raw, StandardOpenOption.TRUNCATE_EXISTING);
        }
        case RESTORE_EARLIER_BOOT ->
            backupFile.write(seal(platformId, bootNumber - 1, backupSequence));
        case RESTORE_REPLAYED -> backupFile.write(seal(platformId, bootNumber, backupSequence - 1));
        case RESTORE_FOREIGN -> {
          byte[] other = platformId.clone();
          other[0] ^= (byte) 0xff;
          backupFile.write(seal(other, bootNumber, backupSequence));
        }
        case RESTORE_UNSEALABLE -> {
          return new BackupRefusedException(
              BackupRefusedException.Reason.UNSEALABLE,
              "platform sealing key unavailable (injected)");
        }
        case RESTORE_FORCED -> {
          return new BackupRefusedException(BackupRefusedException.Reason.FORCED, "");
        }
        default -> throw new IllegalStateException("not a restore fault: " + f);
      }
    } catch (IOException e) {
      return new BackupRefusedException(
          BackupRefusedException.Reason.MISSING,
          "storage error while injecting " + f + ": " + e.getMessage());
    }
    return null;
  }

  /**
   * S3/S4 entry: back the IWKey up to the platform, then drop the CPU state (the IWKey becomes
   * zero). The daemon quiesces I/O before calling this.
   *
   * @return whether the backup succeeded (IA32_COPY_STATUS bit 0)
   */
  public synchronized boolean suspend() {
    if (suspended) {
      return copyStatus == 1;
    }
    boolean backedUp = false;
    if (config.features().keyLocker() && config.features().backup()) {
      wrmsr(IA32_COPY_LOCAL_TO_PLATFORM, 1);
      backedUp = (copyStatus & 1) != 0;
    }
    core.loseIwKey();
    suspended = true;
    return backedUp;
  }

  /**
   * S3/S4 exit, as Linux v9a does it: if IA32_IWKEYBACKUP_STATUS bit 0 is set, copy the backup to
   * the CPU and check IA32_COPY_STATUS; any failure soft-disables Key Locker until the next {@link
   * #reboot()}.
   */
  public synchronized RestoreOutcome resume() {
    if (!suspended) {
      return new RestoreOutcome(core.disabledReason() == null, null, "not suspended");
    }
    suspended = false;
    if (!config.features().keyLocker()) {
      return new RestoreOutcome(false, null, "Key Locker absent");
    }
    BackupRefusedException failure;
    if (!config.features().backup() || (backupStatus & 1) == 0) {
      String why =
          !config.features().backup()
              ? "the CPU has no backup MSRs"
              : (backupStatus & 0x4) != 0
                  ? "backup storage read/write error"
                  : "invalid backup status";
      failure = new BackupRefusedException(BackupRefusedException.Reason.NO_VALID_BACKUP, why);
      core.counters.restore(false);
      lastRestoreFailure = failure.getMessage();
    } else {
      wrmsr(IA32_COPY_PLATFORM_TO_LOCAL, 1);
      if ((copyStatus & 1) != 0) {
        return RestoreOutcome.ok();
      }
      failure = lastRestoreError;
    }
    core.softDisable("IWKey restore failed: " + failure.getMessage());
    return RestoreOutcome.failed(failure);
  }

  /**
   * Sets the configuration the next {@link #reboot()} boots with: other CPU features (e.g. no
   * backup MSRs), key source or NoBackup flag, as a firmware setting would. The state directory
   * cannot change. Takes effect at the reboot, never while a boot lasts.
   */
  public synchronized void configureNextBoot(PlatformConfig next) {
    if (!next.stateDir().equals(config.stateDir())) {
      throw new IllegalArgumentException(
          "the platform's state directory cannot change at a reboot");
    }
    nextBoot = next;
  }

  /** The configuration the next reboot will use. */
  public synchronized PlatformConfig nextBootConfig() {
    return nextBoot;
  }

  /**
   * S5: a new boot with the {@linkplain #configureNextBoot next-boot configuration}; a new IWKey
   * (old handles become useless), soft-disable cleared, backup taken.
   */
  public synchronized void reboot() {
    core.loseIwKey();
    config = nextBoot;
    core.rebootWith(config.features());
    armed.removeIf(PlatformFault::restoreFault);
    lastRestoreFailure = null;
    lastRestoreError = null;
    bootSequence();
  }

  /** Arms a fault; it fires at the next matching operation. */
  public synchronized void arm(PlatformFault fault) {
    if (fault == PlatformFault.ENTROPY_FAILURE) {
      core.armEntropyFailure();
    } else {
      armed.add(fault);
    }
  }

  /**
   * Replaces the IWKey with a new random one without backing it up: every existing handle then
   * fails authentication (the ZF path).
   */
  public synchronized void replaceIwKeyWithoutBackup() {
    loadFreshIwKey();
  }

  public synchronized Set<PlatformFault> armedFaults() {
    return Set.copyOf(armed);
  }

  /**
   * Disarms every fault and makes the next reboot use the configuration of the first boot again.
   */
  public synchronized void clearFaults() {
    armed.clear();
    nextBoot = bootConfig;
  }

  public synchronized PlatformStatus status() {
    return new PlatformStatus(
        bootNumber,
        config.features().keyLocker(),
        core.iwKeyLoaded(),
        core.iwKeySource(),
        core.iwNoBackup(),
        suspended,
        core.disabledReason(),
        lastRestoreFailure,
        copyStatus,
        backupStatus,
        List.copyOf(warnings));
  }

  public InstructionCounters.Snapshot counters() {
    return core.counters.snapshot();
  }

  /** Powers off: the IWKey, every unwrapped schedule and the sealing keys are wiped. */
  @Override
  public synchronized void close() {
    core.close();
    sealing.close();
  }

  @Override
  public String toString() {
    return "EmulatedPlatform[boot " + bootNumber + (suspended ? ", suspended" : "") + "]";
  }
}
