package dev.klcrypt.daemon;

import dev.klcrypt.blockdev.OpenOptions;
import dev.klcrypt.keylocker.cpu.PlatformConfig;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A part of the daemon wired in at start-up (metrics, sd_notify, the volume table, power-state
 * requests). Found with {@link java.util.ServiceLoader} by {@code klcryptd}, or passed to {@link
 * Daemon#start} directly.
 */
public interface DaemonExtension {
  /**
   * Called first, before the emulated platform boots: may change its config (state directory, IWKey
   * source). Extensions are asked in order, each getting the previous one's answer.
   */
  default PlatformConfig platformConfig(PlatformConfig proposed, Optional<Path> configFile)
      throws Exception {
    return proposed;
  }

  /**
   * Called before the control plane is built: may change the options every {@code open} starts from
   * (e.g. the Argon2 memory ceiling); {@code readOnly} and {@code allowDiscards} are then set per
   * request.
   */
  default OpenOptions openOptions(OpenOptions proposed, Optional<Path> configFile)
      throws Exception {
    return proposed;
  }

  /**
   * Called once the filesystem is mounted and before the control socket accepts connections:
   * register control operations, listeners, open volumes from a table. Throwing aborts the start.
   */
  default void started(DaemonContext context) throws Exception {}

  /**
   * Called when the daemon is ready to serve (control socket listening): e.g. sd_notify READY=1.
   */
  default void ready(DaemonContext context) {}

  /**
   * Called first on shutdown, before the control socket closes (e.g. sd_notify STOPPING=1). Must
   * not throw.
   */
  default void stopping(DaemonContext context) {}
}
