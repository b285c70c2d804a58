package dev.klcrypt.daemon.table;

import dev.klcrypt.blockdev.FormatSpec;
import dev.klcrypt.blockdev.LuksException;
import dev.klcrypt.blockdev.LuksImage;
import dev.klcrypt.blockdev.OpenOptions;
import dev.klcrypt.blockdev.kdf.KdfSpec;
import dev.klcrypt.blockdev.kdf.Passphrase;
import dev.klcrypt.blockdev.volume.Volume;
import dev.klcrypt.daemon.DaemonContext;
import dev.klcrypt.daemon.DaemonExtension;
import dev.klcrypt.daemon.ProcessSignals;
import dev.klcrypt.daemon.config.AuditLog;
import dev.klcrypt.daemon.config.DaemonConfig;
import dev.klcrypt.daemon.notify.SystemdNotifier;
import dev.klcrypt.daemon.volumes.OpenVolumes;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the volume table: at start every entry that opens unattended (key file or ephemeral) is
 * opened before the daemon reports ready; entries without a key wait for {@code klcrypt open NAME}.
 * On SIGHUP ({@code systemctl reload}) the table is read again and the differences applied by name
 * (new entries opened, removed ones closed, changed ones reopened). Bad lines are logged as {@code
 * FILE:LINE: reason} and skipped.
 *
 * <p>At start, a volume without {@code nofail} that cannot be opened fails the start (like a
 * crypttab entry failing its unit); with {@code nofail} it is logged and skipped. During a reload
 * nothing fails the daemon.
 *
 * <p>Ephemeral entries: the image file must exist (its size is the volume size); it is formatted as
 * LUKS2 with a random 256-bit passphrase that exists only in locked memory for the format and the
 * open, then is wiped, so the contents do not survive the daemon.
 */
public final class VolumeTableExtension implements DaemonExtension {
  private static final Logger log = LoggerFactory.getLogger(VolumeTableExtension.class);
  private static final long CLOSE_BUSY_WAIT_MILLIS = 5_000;
  private static final int EPHEMERAL_PASSPHRASE_BYTES = 32;

  private final boolean handleHangup;
  private final Map<String, String> environment;
  private final SecureRandom random = new SecureRandom();
  private final Set<String> openedByTable = new LinkedHashSet<>();
  private DaemonContext context;
  private DaemonConfig config;
  private VolumeTable current;

  /**
   * For {@link java.util.ServiceLoader}: also installs the SIGHUP handler that reloads the table.
   */
  public VolumeTableExtension() {
    this(true, System.getenv());
  }

  /**
   * @param handleHangup install a SIGHUP handler (false in tests, which call {@link
   *     #reloadAndNotify()})
   * @param environment where {@code NOTIFY_SOCKET} is looked up for the reload notifications
   */
  public VolumeTableExtension(boolean handleHangup, Map<String, String> environment) {
    this.handleHangup = handleHangup;
    this.environment = Map.copyOf(environment);
  }

  @Override
  public synchronized void started(DaemonContext context) throws Exception {
    this.context = context;
    this.config =
        context.configFile().isPresent()
            ? DaemonConfig.load(context.configFile().get())
            : DaemonConfig.forRuntimeDir(context.runtimeDir());
    current = readTable();
    for (VolumeTableEntry entry : current.entries()) {
      if (!entry.opensUnattended()) {
        log.info(
            "volume {} ({}:{}) has no key file; it waits for 'klcrypt open {}'",
            entry.name(),
            current.file(),
            entry.line(),
            entry.name());
        continue;
      }
      try {
        open(entry);
      } catch (Exception e) {
        AuditLog.openFailed(entry.name(), entry.image(), describe(e));
        if (!entry.options().noFail()) {
          throw new IllegalStateException(
              "volume "
                  + entry.name()
                  + " ("
                  + current.file()
                  + ":"
                  + entry.line()
                  + ") could not be opened: "
                  + describe(e)
                  + "; mark it 'nofail' to start without it",
              e);
        }
        log.warn("volume {} is nofail and was skipped: {}", entry.name(), describe(e));
      }
    }
    AuditLog.tableLoaded(current.file(), openedByTable.size(), 0, 0, current.problems().size());
    TableHealth.loaded(context.runtimeDir(), current.problems().size());
    if (handleHangup) {
      ProcessSignals.on("klcryptd reload (SIGHUP) handler", this::reloadAndNotify, "HUP");
    }
  }

  @Override
  public void stopping(DaemonContext context) {
    TableHealth.forget(context.runtimeDir());
  }

  /** The table as last read. */
  public synchronized VolumeTable table() {
    return current;
  }

  /**
   * Reads the table again and applies the differences. A table that cannot be read leaves
   * everything as it is.
   *
   * @return what changed
   */
  public synchronized TableChanges reload() throws IOException {
    VolumeTable next = VolumeTable.read(config.tablePath());
    next.problems().forEach(AuditLog::tableProblem);
    TableChanges changes = next.changesSince(current);
    for (VolumeTableEntry gone : changes.removed()) {
      closeIfOurs(gone.name());
    }
    for (VolumeTableEntry changed : changes.changed()) {
      closeIfOurs(changed.name());
    }
    for (VolumeTableEntry entry : concat(changes.changed(), changes.added())) {
      if (!entry.opensUnattended()) {
        continue;
      }
      try {
        open(entry);
      } catch (Exception e) {
        AuditLog.openFailed(entry.name(), entry.image(), describe(e));
        log.warn("reload: volume {} could not be opened: {}", entry.name(), describe(e));
      }
    }
    current = next;
    TableHealth.loaded(context.runtimeDir(), next.problems().size());
    AuditLog.tableLoaded(
        next.file(),
        changes.added().size(),
        changes.removed().size(),
        changes.changed().size(),
        next.problems().size());
    return changes;
  }

  /**
   * What SIGHUP runs: {@code RELOADING=1} to systemd (when {@code NOTIFY_SOCKET} is set), {@link
   * #reload()}, then {@code READY=1} with a status line, as {@code sd_notify(3)} asks of a
   * reloading service. Never throws: a table that cannot be read is logged and the running volumes
   * stay.
   */
  public void reloadAndNotify() {
    EventLoopGroup group = null;
    SystemdNotifier notifier = SystemdNotifier.disabled();
    String socket = environment.get("NOTIFY_SOCKET");
    if (socket != null && !socket.isEmpty()) {
      group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
      notifier = SystemdNotifier.fromEnvironment(environment, group);
    }
    try {
      notifier.reloading("reloading " + config.tablePath());
      String status;
      try {
        TableChanges changes = reload();
        status =
            "reloaded "
                + config.tablePath()
                + ": "
                + changes.added().size()
                + " added, "
                + changes.removed().size()
                + " removed, "
                + changes.changed().size()
                + " changed, "
                + current.problems().size()
                + " bad lines";
        log.info(status);
      } catch (IOException | RuntimeException e) {
        status = "reload of " + config.tablePath() + " failed; volumes left as they were";
        log.error("{}: {}", status, e.toString());
      }
      notifier.ready(status);
    } finally {
      notifier.close();
      if (group != null) {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
      }
    }
  }

  private VolumeTable readTable() throws IOException {
    try {
      VolumeTable table = VolumeTable.read(config.tablePath());
      table.problems().forEach(AuditLog::tableProblem);
      return table;
    } catch (NoSuchFileException e) {
      log.info("no volume table at {}; serving only volumes opened on request", config.tablePath());
      return VolumeTable.parse(config.tablePath(), new byte[0]);
    }
  }

  private void open(VolumeTableEntry entry) throws IOException, LuksException {
    Path image = entry.image().toRealPath();
    OpenVolumes volumes = context.volumes();
    volumes.checkAvailable(entry.name(), image);
    OpenOptions options =
        OpenOptions.defaults()
            .withReadOnly(entry.options().readOnly())
            .withAllowDiscards(entry.options().discard())
            .withKdfMemoryCeilingKiB(config.kdfMemoryCeilingKiB());
    Volume volume;
    String keyKind;
    switch (entry.keySource()) {
      case KeySource.KeyFile file -> {
        keyKind = "keyfile";
        if (!Files.isRegularFile(file.path())) {
          throw new NoSuchFileException(file.path().toString(), null, "key file not found");
        }
        try (Passphrase passphrase = Passphrase.fromFile(file.path())) {
          volume = LuksImage.open(image, passphrase, context.platform().cpu(), options);
        }
      }
      case KeySource.Ephemeral ephemeral -> {
        keyKind = "ephemeral";
        volume = formatEphemeral(entry, image, options);
      }
      case KeySource.Prompt prompt ->
          throw new IllegalStateException("volume " + entry.name() + " has no unattended key");
    }
    try {
      if (entry.options().sectorSize().isPresent()
          && entry.options().sectorSize().getAsInt() != volume.sectorSize()) {
        throw new IllegalStateException(
            "the table says sector-size="
                + entry.options().sectorSize().getAsInt()
                + " but the LUKS header of "
                + image
                + " says "
                + volume.sectorSize());
      }
      volumes.add(entry.name(), image, volume);
    } catch (RuntimeException refused) {
      volume.close();
      throw refused;
    }
    openedByTable.add(entry.name());
    log.info(
        "volume {} opened from {}:{} (key: {})",
        entry.name(),
        config.tablePath(),
        entry.line(),
        keyKind);
  }

  private Volume formatEphemeral(VolumeTableEntry entry, Path image, OpenOptions options)
      throws LuksException {
    byte[] secret = new byte[EPHEMERAL_PASSPHRASE_BYTES];
    try {
      random.nextBytes(secret);
      FormatSpec spec =
          FormatSpec.defaults()
              .withKdf(KdfSpec.pbkdf2(1000)) // a random 256-bit passphrase needs no stretching
              .withAllowDiscards(entry.options().discard());
      if (entry.options().sectorSize().isPresent()) {
        spec = spec.withSectorSize(entry.options().sectorSize().getAsInt());
      }
      try (Passphrase passphrase = Passphrase.fromBytes(secret.clone())) {
        LuksImage.format(image, spec, passphrase, context.platform().cpu());
      }
      try (Passphrase passphrase = Passphrase.fromBytes(secret.clone())) {
        return LuksImage.open(image, passphrase, context.platform().cpu(), options);
      }
    } finally {
      Arrays.fill(secret, (byte) 0);
    }
  }

  private void closeIfOurs(String name) {
    if (!openedByTable.remove(name) || context.volumes().find(name).isEmpty()) {
      return;
    }
    try {
      context.volumes().close(name, CLOSE_BUSY_WAIT_MILLIS);
      log.info("volume {} closed: removed or changed in the table", name);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      openedByTable.add(name);
      log.warn("reload: volume {} stays open: {}", name, describe(e));
    }
  }

  private static List<VolumeTableEntry> concat(List<VolumeTableEntry> a, List<VolumeTableEntry> b) {
    return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
  }

  private static String describe(Throwable e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }
}
