package dev.klcrypt.daemon;

import dev.klcrypt.daemon.control.ControlDispatcher;
import dev.klcrypt.daemon.fuse.FuseGuard;
import dev.klcrypt.daemon.volumes.OpenVolumes;
import dev.klcrypt.keylocker.cpu.EmulatedPlatform;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What a {@link DaemonExtension} may wire into: the runtime directory, the optional config file,
 * the emulated platform, the open volumes, the FUSE guard (ops and errors by errno) and the control
 * dispatcher (more request types, the HTTP route), and the other extensions (to find the metrics
 * registry or the volume table).
 */
public record DaemonContext(
    Path runtimeDir,
    Optional<Path> configFile,
    EmulatedPlatform platform,
    OpenVolumes volumes,
    FuseGuard fuseGuard,
    ControlDispatcher control,
    Path volumesMountPoint,
    List<DaemonExtension> extensions) {

  public DaemonContext {
    extensions = List.copyOf(extensions);
  }

  /** The first extension of {@code type} wired into this daemon, if any. */
  public <T extends DaemonExtension> Optional<T> extension(Class<T> type) {
    return extensions.stream().filter(type::isInstance).map(type::cast).findFirst();
  }
}
