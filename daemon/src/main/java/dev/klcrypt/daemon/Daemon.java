package dev.klcrypt.daemon;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.klcrypt.blockdev.OpenOptions;
import dev.klcrypt.daemon.control.ControlClient;
import dev.klcrypt.daemon.control.ControlDispatcher;
import dev.klcrypt.daemon.control.ControlServer;
import dev.klcrypt.daemon.control.VolumeOperations;
import dev.klcrypt.daemon.fuse.FuseGuard;
import dev.klcrypt.daemon.fuse.FuseMount;
import dev.klcrypt.daemon.fuse.FuseOpListener;
import dev.klcrypt.daemon.fuse.VolumeFileSystem;
import dev.klcrypt.daemon.loop.LoopDevices;
import dev.klcrypt.daemon.volumes.OpenVolume;
import dev.klcrypt.daemon.volumes.OpenVolumes;
import dev.klcrypt.keylocker.cpu.EmulatedPlatform;
import dev.klcrypt.keylocker.cpu.PlatformConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root of {@code klcryptd}: cleans up after a killed predecessor, boots the
 * emulated platform, mounts the volumes filesystem, wires the extensions, and serves the control
 * socket. {@link #close()} shuts down in order: stop accepting, flush every volume, unmount, close.
 */
public final class Daemon implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);

  public static final String CONTROL_SOCKET = "control.sock";
  public static final String VOLUMES_DIR = "volumes";
  public static final String PLATFORM_DIR = "platform";

  private final DaemonContext context;
  private final List<DaemonExtension> extensions;
  private final FuseMount mount;
  private ControlServer control;
  private boolean closed;

  private Daemon(DaemonContext context, List<DaemonExtension> extensions, FuseMount mount) {
    this.context = context;
    this.extensions = extensions;
    this.mount = mount;
  }

  /**
   * Starts a daemon on {@code runtimeDir}.
   *
   * @throws DaemonAlreadyRunningException if a live daemon answers on the runtime dir's control
   *     socket
   */
  public static Daemon start(
      Path runtimeDir, Optional<Path> configFile, List<DaemonExtension> extensions)
      throws Exception {
    return start(runtimeDir, Optional.empty(), configFile, extensions);
  }

  /**
   * Starts a daemon on {@code runtimeDir} whose platform keeps its persistent state (the sealed
   * IWKey backup) in {@code stateDir}; without one, in what the extensions propose (the config's
   * {@code stateDir}), else {@code runtimeDir/platform}.
   */
  public static Daemon start(
      Path runtimeDir,
      Optional<Path> stateDir,
      Optional<Path> configFile,
      List<DaemonExtension> extensions)
      throws Exception {
    Path dir = runtimeDir.toAbsolutePath().normalize();
    Files.createDirectories(dir);
    Path socket = dir.resolve(CONTROL_SOCKET);
    Path volumesDir = dir.resolve(VOLUMES_DIR);
    removeStaleSocket(socket);
    if (FuseMount.cleanStale(volumesDir)) {
      LOG.warn("cleaned up the mount of a previous klcryptd on {}", volumesDir);
    }
    // read before the process turns non-dumpable: /proc/self then belongs to root
    long uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    long gid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:gid");
    ProcessHardening.disableCoreDumps();
    ObjectMapper mapper = new ObjectMapper();
    PlatformConfig platformConfig = PlatformConfig.defaults(dir.resolve(PLATFORM_DIR));
    OpenOptions openDefaults = OpenOptions.defaults();
    for (DaemonExtension e : extensions) {
      platformConfig = e.platformConfig(platformConfig, configFile);
      openDefaults = e.openOptions(openDefaults, configFile);
    }
    if (stateDir.isPresent()) {
      PlatformConfig p = platformConfig;
      platformConfig =
          new PlatformConfig(
              p.features(),
              stateDir.get().toAbsolutePath().normalize(),
              p.keySource(),
              p.noBackup());
    }
    LOG.info("platform state (sealed IWKey backup) in {}", platformConfig.stateDir());
    EmulatedPlatform platform = EmulatedPlatform.boot(platformConfig);
    FuseMount mount = null;
    try {
      OpenVolumes volumes = new OpenVolumes(Clock.systemUTC());
      FuseGuard guard = new FuseGuard(FuseOpListener.NONE);
      VolumeFileSystem fs = new VolumeFileSystem(volumes, guard, uid, gid);
      mount = FuseMount.mount(fs, volumesDir, fuseOptions());
      ControlDispatcher dispatcher = new ControlDispatcher(mapper);
      new VolumeOperations(volumes, platform.cpu(), mount.mountPoint(), openDefaults)
          .registerWith(dispatcher);
      DaemonContext context =
          new DaemonContext(
              dir,
              configFile,
              platform,
              volumes,
              guard,
              dispatcher,
              mount.mountPoint(),
              extensions);
      Daemon daemon = new Daemon(context, List.copyOf(extensions), mount);
      for (DaemonExtension e : extensions) {
        e.started(context);
      }
      daemon.control = ControlServer.bind(socket, dispatcher);
      for (DaemonExtension e : extensions) {
        e.ready(context);
      }
      LOG.info("klcryptd ready: runtime dir {}, pid {}", dir, ProcessHandle.current().pid());
      return daemon;
    } catch (Exception | Error e) {
      if (mount != null) {
        mount.close();
      }
      platform.close();
      throw e;
    }
  }

  /**
   * {@link FuseMount#DEFAULT_OPTIONS}, or the libfuse arguments in the system property {@code
   * klcrypt.fuse.options}, separated by spaces or semicolons (for measuring alternatives,
   * docs/FUSE.md), e.g. {@code KLCRYPT_JAVA_OPTS=-Dklcrypt.fuse.options=-s;-o;big_writes}.
   */
  static List<String> fuseOptions() {
    String override = System.getProperty("klcrypt.fuse.options");
    if (override == null || override.isBlank()) {
      return FuseMount.DEFAULT_OPTIONS;
    }
    LOG.warn("FUSE options overridden by -Dklcrypt.fuse.options: {}", override);
    return List.of(override.trim().split("[\\s;]+"));
  }

  public DaemonContext context() {
    return context;
  }

  /**
   * Shuts down: stop accepting, flush every volume, detach our loop devices, unmount, close
   * volumes. Idempotent.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    LOG.info("klcryptd shutting down");
    for (DaemonExtension e : extensions) {
      try {
        e.stopping(context);
      } catch (RuntimeException failure) {
        LOG.warn(
            "extension {} failed while stopping: {}", e.getClass().getName(), failure.toString());
      }
    }
    if (control != null) {
      control.close();
    }
    OpenVolumes volumes = context.volumes();
    for (OpenVolume v : volumes.list()) {
      try {
        v.volume().flush();
      } catch (RuntimeException failure) {
        LOG.error("flushing volume {} failed: {}", v.name(), failure.toString());
      }
      detachLoop(v);
    }
    mount.close();
    volumes.closeAll();
    context.platform().close();
    LOG.info("klcryptd stopped");
  }

  private static void detachLoop(OpenVolume v) {
    String loop = v.loopDevice();
    if (loop == null) {
      return;
    }
    try {
      LoopDevices.detach(loop);
      v.loopDevice(null);
      LOG.info("detached {} from volume {}", loop, v.name());
    } catch (IOException e) {
      LOG.warn("detaching {} from volume {} failed: {}", loop, v.name(), e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * A control socket left by a killed daemon is removed; one a live daemon answers on stops this
   * start.
   */
  private static void removeStaleSocket(Path socket) throws IOException, InterruptedException {
    if (!Files.exists(socket, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Optional<Long> livePid = pingDaemon(socket);
    if (livePid.isPresent()) {
      throw new DaemonAlreadyRunningException(
          "klcryptd (pid " + livePid.get() + ") already serves " + socket.getParent());
    }
    LOG.warn("removing stale control socket {} (no daemon answers on it)", socket);
    Files.delete(socket);
  }

  /** The pid of the daemon answering {@code ping} on {@code socket}, or empty if nobody answers. */
  private static Optional<Long> pingDaemon(Path socket) throws InterruptedException {
    ObjectMapper mapper = new ObjectMapper();
    CompletableFuture<Optional<Long>> ping =
        CompletableFuture.supplyAsync(
            () -> {
              try (ControlClient client = ControlClient.connect(socket, mapper)) {
                ObjectNode request = mapper.createObjectNode().put("op", "ping");
                ObjectNode reply = client.call(request);
                return Optional.of(reply.path("pid").asLong(-1));
              } catch (IOException e) {
                return Optional.<Long>empty();
              }
            });
    try {
      return ping.get(3, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      // somebody accepted but did not answer: treat as alive rather than pull a mount from under it
      return Optional.of(-1L);
    } catch (ExecutionException e) {
      return Optional.empty();
    }
  }
}
