package dev.klcrypt.daemon.config;

import dev.klcrypt.daemon.DaemonContext;
import dev.klcrypt.daemon.DaemonExtension;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the daemon config file at start: checks it (a bad file stops the start with {@code
 * FILE:LINE: key: reason}), sets {@code log.level}, logs the effective settings, and warns when the
 * file's paths disagree with the ones the daemon was started with ({@code klcryptd --runtime-dir}).
 * Register it first so a bad config fails early.
 */
public final class DaemonConfigExtension implements DaemonExtension {
  private static final Logger log = LoggerFactory.getLogger(DaemonConfigExtension.class);

  private DaemonConfig config;

  /** The config applied at start (after {@link #started}). */
  public DaemonConfig config() {
    return config;
  }

  @Override
  public void started(DaemonContext context) throws ConfigException, IOException {
    config =
        context.configFile().isPresent()
            ? DaemonConfig.load(context.configFile().get())
            : DaemonConfig.forRuntimeDir(context.runtimeDir());
    DaemonLogging.applyLevel(config.logLevel());
    context
        .control()
        .limits(config.controlMaxRequestBytes(), config.controlRequestTimeout().toMillis());
    // the control socket is created by this process, so its owner is this process's uid
    context.control().connectionGate(PeerPolicy.ownedBy(PeerPolicy.processUid()).connectionGate());
    if (context.configFile().isPresent()) {
      log.info("config {}:", config.file());
      config.describe().forEach(line -> log.info("  {}", line));
      if (!config.runtimeDir().equals(context.runtimeDir())) {
        log.warn(
            "{}: runtimeDir = {} but the daemon runs on {} (--runtime-dir); the command line wins",
            config.file(),
            config.runtimeDir(),
            context.runtimeDir());
      }
      if (!config.mountDir().equals(context.volumesMountPoint())) {
        log.warn(
            "{}: mountDir = {} but volumes are mounted at {}; the daemon's layout wins",
            config.file(),
            config.mountDir(),
            context.volumesMountPoint());
      }
    }
  }
}
