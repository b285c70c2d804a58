package dev.klcrypt.daemon.power;

import dev.klcrypt.blockdev.LuksImage;
import dev.klcrypt.blockdev.OpenOptions;
import dev.klcrypt.blockdev.fault.FaultyBackingStore;
import dev.klcrypt.blockdev.kdf.Passphrase;
import dev.klcrypt.blockdev.store.BackingStore;
import dev.klcrypt.blockdev.store.FileBackingStore;
import dev.klcrypt.blockdev.volume.Volume;
import dev.klcrypt.daemon.config.AuditLog;
import dev.klcrypt.daemon.errno.Errno;
import dev.klcrypt.daemon.errno.RequestRefusedException;
import dev.klcrypt.daemon.volumes.IoGate;
import dev.klcrypt.daemon.volumes.OpenVolume;
import dev.klcrypt.daemon.volumes.OpenVolumes;
import dev.klcrypt.keylocker.backup.BackupRefusedException;
import dev.klcrypt.keylocker.cpu.EmulatedPlatform;
import dev.klcrypt.keylocker.cpu.RestoreOutcome;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The platform's power states as the daemon carries them out for every volume at once: suspend
 * quiesces the volumes at their {@link IoGate} and backs the IWKey up; resume restores it and
 * releases the waiting requests, or, when the restore fails, fails them and every later one with
 * ENODEV; reboot loads a new IWKey and reopens the volumes it has a key file for.
 */
public final class PlatformPower {
  private static final Logger LOG = LoggerFactory.getLogger(PlatformPower.class);

  /** A resume that failed, for status reports. */
  public record RestoreFailure(BackupRefusedException.Reason reason, String message) {
    /** The reason as a stable lower-case label ({@code corrupted}, {@code earlier-boot}, ...). */
    public String label() {
      return reason == null
          ? "unknown"
          : reason.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
  }

  /** A volume a reboot closed because nobody can unlock it unattended. */
  public record AwaitingKey(String name, Path image) {}

  private final EmulatedPlatform platform;
  private final OpenVolumes volumes;
  private final Function<String, Optional<Path>> tableKeyFile;
  private final Consumer<BackupRefusedException.Reason> restoreRefused;
  private volatile UnaryOperator<BackingStore> faultStores = UnaryOperator.identity();
  private final Map<String, AwaitingKey> awaitingKey = new TreeMap<>();
  private RestoreFailure lastFailure;
  private boolean backupFailedAtSuspend;

  /**
   * @param tableKeyFile the key file the volume table gives a volume name, if any
   * @param restoreRefused told the reason of every refused restore (metrics)
   */
  public PlatformPower(
      EmulatedPlatform platform,
      OpenVolumes volumes,
      Function<String, Optional<Path>> tableKeyFile,
      Consumer<BackupRefusedException.Reason> restoreRefused) {
    this.platform = platform;
    this.volumes = volumes;
    this.tableKeyFile = tableKeyFile;
    this.restoreRefused = restoreRefused;
  }

  /**
   * How a volume that was opened under fault injection gets its fault store again when a reboot
   * reopens it (set by the fault harness).
   */
  public void faultStores(UnaryOperator<BackingStore> wrap) {
    this.faultStores = wrap;
  }

  public EmulatedPlatform platform() {
    return platform;
  }

  /**
   * S3/S4 entry: closes the gate, waits for requests in flight, flushes every volume, backs the
   * IWKey up and drops the CPU state.
   *
   * @return whether the IWKey backup was written (if not, the resume will fail)
   */
  public synchronized boolean suspend() throws InterruptedException {
    if (platform.status().suspended()) {
      throw new RequestRefusedException(Errno.EBUSY, "the platform is already suspended");
    }
    IoGate gate = volumes.gate();
    gate.close();
    if (!gate.awaitIdle(gate.timeoutMillis())) {
      int busy = gate.inFlight();
      gate.open();
      throw new RequestRefusedException(
          Errno.EBUSY,
          busy
              + " requests were still running after "
              + gate.timeoutMillis()
              + " ms; not suspended");
    }
    List<OpenVolume> all = volumes.list();
    for (OpenVolume v : all) {
      try {
        v.volume().flush();
      } catch (RuntimeException e) {
        LOG.error("suspend: flushing volume {} failed: {}", v.name(), e.toString());
      }
    }
    boolean backedUp = platform.suspend();
    backupFailedAtSuspend = !backedUp;
    if (!backedUp) {
      LOG.warn(
          "suspend: the IWKey backup was not written (copy status {}, backup status {});"
              + " the resume will fail and Key Locker will be disabled",
          platform.status().copyStatus(),
          platform.status().backupStatus());
    }
    AuditLog.suspended(all.size());
    LOG.info("platform suspended: {} volumes quiesced, IWKey backed up: {}", all.size(), backedUp);
    return backedUp;
  }

  /**
   * S3/S4 exit: restores the IWKey. On success the waiting requests go on; on failure Key Locker is
   * soft-disabled and every waiting and later request on every volume fails with ENODEV (nothing
   * reaches an image).
   *
   * @throws RequestRefusedException ENODEV with the reason when the restore failed; EINVAL when the
   *     platform is not suspended
   */
  public synchronized RestoreOutcome resume() {
    if (!platform.status().suspended()) {
      throw new RequestRefusedException(Errno.EINVAL, "the platform is not suspended");
    }
    RestoreOutcome outcome = platform.resume();
    if (outcome.restored()) {
      volumes.gate().open();
      AuditLog.resumed(volumes.list().size());
      LOG.info("platform resumed: {}", outcome.message());
      return outcome;
    }
    RestoreFailure failure = new RestoreFailure(outcome.reason(), outcome.message());
    lastFailure = failure;
    String why = "IWKey restore failed (" + failure.label() + "): " + outcome.message();
    volumes.gate().fail(why);
    if (outcome.reason() != null) {
      restoreRefused.accept(outcome.reason());
    }
    AuditLog.restoreFailed(failure.label() + ": " + outcome.message());
    LOG.error(
        "{}; Key Locker is disabled, every request on every volume fails with ENODEV until"
            + " 'klcrypt platform reboot'",
        why);
    throw new RequestRefusedException(
        Errno.ENODEV, why + "; Key Locker is disabled until 'klcrypt platform reboot'");
  }

  /**
   * S5: a new boot with a new IWKey. Every volume's key handles become useless: volumes with a key
   * file (remembered from {@code open --key-file} or in the volume table) are reopened under the
   * same name with new handles; the others are closed and wait for {@code klcrypt open}.
   *
   * @return the names reopened
   */
  public synchronized List<String> reboot() throws InterruptedException {
    IoGate gate = volumes.gate();
    gate.close();
    if (!gate.awaitIdle(gate.timeoutMillis())) {
      LOG.warn("reboot: {} requests still running; rebooting anyway", gate.inFlight());
    }
    for (OpenVolume v : volumes.list()) {
      try {
        v.volume().flush();
      } catch (RuntimeException e) {
        LOG.warn("reboot: flushing volume {} failed: {}", v.name(), e.toString());
      }
    }
    platform.reboot();
    lastFailure = null;
    backupFailedAtSuspend = false;
    List<String> reopened = new ArrayList<>();
    for (OpenVolume v : volumes.list()) {
      Path keyFile = v.keyFile() != null ? v.keyFile() : tableKeyFile.apply(v.name()).orElse(null);
      if (keyFile != null) {
        try {
          reopen(v, keyFile);
          reopened.add(v.name());
          continue;
        } catch (Exception e) {
          LOG.error(
              "reboot: reopening volume {} with key file {} failed: {}",
              v.name(),
              keyFile,
              e.toString());
        }
      }
      awaitingKey.put(v.name(), new AwaitingKey(v.name(), v.image()));
      volumes.drop(v.name());
      LOG.warn("reboot: volume {} is closed and waits for 'klcrypt open'", v.name());
    }
    awaitingKey.keySet().removeIf(name -> volumes.find(name).isPresent());
    gate.open();
    AuditLog.rebooted(platform.status().keySource().name().toLowerCase(java.util.Locale.ROOT));
    LOG.info(
        "platform rebooted (boot {}): reopened {}, waiting for a key: {}",
        platform.status().bootNumber(),
        reopened,
        awaitingKey.keySet());
    return reopened;
  }

  private void reopen(OpenVolume v, Path keyFile) throws Exception {
    boolean readOnly = v.info().readOnly();
    OpenOptions options =
        OpenOptions.defaults().withReadOnly(readOnly).withAllowDiscards(v.info().allowDiscards());
    boolean faulty = v.faults() != null;
    BackingStore file = FileBackingStore.open(v.image(), readOnly);
    BackingStore store = faulty ? faultStores.apply(file) : file;
    Volume fresh;
    try (Passphrase passphrase = Passphrase.fromFile(keyFile)) {
      fresh = LuksImage.open(store, passphrase, platform.cpu(), options);
    } catch (Exception | Error e) {
      store.close();
      throw e;
    }
    Volume old =
        v.replaceVolume(
            fresh, store instanceof FaultyBackingStore f ? f : null, volumes.clock().instant());
    try {
      old.close();
    } catch (RuntimeException e) {
      LOG.warn("reboot: closing the old instance of volume {} failed: {}", v.name(), e.toString());
    }
    LOG.info("reboot: volume {} reopened with new key handles", v.name());
  }

  /** The volumes' gate, for status reports. */
  public IoGate gateView() {
    return volumes.gate();
  }

  /** How many volumes are open. */
  public int volumeCount() {
    return volumes.list().size();
  }

  /** The last failed resume since the last reboot, if any. */
  public synchronized Optional<RestoreFailure> lastFailure() {
    return Optional.ofNullable(lastFailure);
  }

  /** Whether the last suspend could not write the IWKey backup. */
  public synchronized boolean backupFailedAtSuspend() {
    return backupFailedAtSuspend;
  }

  /** Volumes a reboot closed that wait for {@code klcrypt open}. */
  public synchronized List<AwaitingKey> awaitingKey() {
    awaitingKey.keySet().removeIf(name -> volumes.find(name).isPresent());
    return List.copyOf(awaitingKey.values());
  }
}
