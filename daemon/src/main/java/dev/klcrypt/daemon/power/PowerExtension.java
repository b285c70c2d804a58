package dev.klcrypt.daemon.power;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.klcrypt.daemon.DaemonContext;
import dev.klcrypt.daemon.DaemonExtension;
import dev.klcrypt.daemon.config.ConfigException;
import dev.klcrypt.daemon.config.DaemonConfig;
import dev.klcrypt.daemon.config.IwKeySource;
import dev.klcrypt.daemon.control.ControlRequest;
import dev.klcrypt.daemon.metrics.MetricsExtension;
import dev.klcrypt.daemon.table.KeySource;
import dev.klcrypt.daemon.table.VolumeTableEntry;
import dev.klcrypt.daemon.table.VolumeTableExtension;
import dev.klcrypt.keylocker.cpu.PlatformConfig;
import dev.klcrypt.keylocker.cpu.PlatformStatus;
import dev.klcrypt.keylocker.cpu.RestoreOutcome;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Wires the platform power states into the daemon: the state directory and IWKey key source from
 * the config file, the request timeout of the volume gate ({@code suspendTimeoutMillis}), and the
 * control requests {@code platform-suspend}, {@code platform-resume}, {@code platform-reboot} and
 * {@code platform-status} (docs/POWER.md).
 */
public final class PowerExtension implements DaemonExtension {
  private PlatformPower power;

  /** The power states of this daemon (after {@link #started}). */
  public PlatformPower power() {
    return power;
  }

  @Override
  public PlatformConfig platformConfig(PlatformConfig proposed, Optional<Path> configFile)
      throws ConfigException {
    if (configFile.isEmpty()) {
      return proposed;
    }
    DaemonConfig config = DaemonConfig.load(configFile.get());
    return new PlatformConfig(
            proposed.features(), config.stateDir(), proposed.keySource(), proposed.noBackup())
        .withKeySource(
            config.iwKeySource() == IwKeySource.HARDWARE_RANDOM
                ? dev.klcrypt.keylocker.cpu.KeySource.HARDWARE_RANDOM
                : dev.klcrypt.keylocker.cpu.KeySource.SOFTWARE);
  }

  @Override
  public void started(DaemonContext context) throws ConfigException {
    DaemonConfig config =
        context.configFile().isPresent()
            ? DaemonConfig.load(context.configFile().get())
            : DaemonConfig.forRuntimeDir(context.runtimeDir());
    context.volumes().gate().timeout(config.suspendTimeout().toMillis());
    Optional<VolumeTableExtension> table = context.extension(VolumeTableExtension.class);
    Optional<MetricsExtension> metrics = context.extension(MetricsExtension.class);
    power =
        new PlatformPower(
            context.platform(),
            context.volumes(),
            name -> table.flatMap(t -> tableKeyFile(t, name)),
            reason -> metrics.ifPresent(m -> m.metrics().restoreRefused(reason)));
    context.control().register("platform-suspend", this::suspend);
    context.control().register("platform-resume", this::resume);
    context.control().register("platform-reboot", this::reboot);
    context.control().register("platform-status", this::status);
  }

  private static Optional<Path> tableKeyFile(VolumeTableExtension table, String name) {
    if (table.table() == null) {
      return Optional.empty();
    }
    for (VolumeTableEntry e : table.table().entries()) {
      if (e.name().equals(name) && e.keySource() instanceof KeySource.KeyFile file) {
        return Optional.of(file.path());
      }
    }
    return Optional.empty();
  }

  private void suspend(ControlRequest request, ObjectNode reply) throws InterruptedException {
    boolean backedUp = power.suspend();
    reply.put("backedUp", backedUp);
    reply.put("volumes", power.volumeCount());
  }

  private void resume(ControlRequest request, ObjectNode reply) {
    RestoreOutcome outcome = power.resume();
    reply.put("restored", outcome.restored());
    reply.put("message", outcome.message());
  }

  private void reboot(ControlRequest request, ObjectNode reply) throws InterruptedException {
    List<String> reopened = power.reboot();
    ArrayNode names = reply.putArray("reopened");
    reopened.forEach(names::add);
    ArrayNode waiting = reply.putArray("awaitingKey");
    power.awaitingKey().forEach(a -> waiting.add(a.name()));
    reply.put("bootNumber", power.platform().status().bootNumber());
  }

  private void status(ControlRequest request, ObjectNode reply) {
    PlatformStatus s = power.platform().status();
    reply.put("bootNumber", s.bootNumber());
    reply.put("keyLockerPresent", s.keyLockerPresent());
    reply.put("iwKeyLoaded", s.iwKeyLoaded());
    reply.put("keySource", s.keySource().name().toLowerCase(Locale.ROOT).replace('_', '-'));
    reply.put("noBackup", s.noBackup());
    reply.put("suspended", s.suspended());
    reply.put("softDisabled", s.softDisabled());
    if (s.disabledReason() != null) {
      reply.put("disabledReason", s.disabledReason());
    }
    power
        .lastFailure()
        .ifPresent(
            f ->
                reply
                    .putObject("lastRestoreFailure")
                    .put("reason", f.label())
                    .put("message", f.message()));
    reply.put("backupFailedAtSuspend", power.backupFailedAtSuspend());
    reply.put("copyStatus", "0x" + Long.toHexString(s.copyStatus()));
    reply.put("iwKeyBackupStatus", "0x" + Long.toHexString(s.backupStatus()));
    reply.put("stateDir", power.platform().config().stateDir().toString());
    reply.put("backupFile", power.platform().config().backupFile().toString());
    var gate = power.gateView();
    reply.put("gate", gate.state().name().toLowerCase(Locale.ROOT));
    reply.put("requestsWaiting", gate.waiting());
    reply.put("requestsInFlight", gate.inFlight());
    reply.put("suspendTimeoutMillis", gate.timeoutMillis());
    ArrayNode waiting = reply.putArray("awaitingKey");
    power
        .awaitingKey()
        .forEach(a -> waiting.addObject().put("name", a.name()).put("image", a.image().toString()));
    ArrayNode warnings = reply.putArray("warnings");
    s.warnings().forEach(warnings::add);
  }
}
