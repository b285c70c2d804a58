package dev.klcrypt.daemon.notify;

import dev.klcrypt.daemon.DaemonContext;
import dev.klcrypt.daemon.DaemonExtension;
import dev.klcrypt.daemon.fuse.MountTable;
import dev.klcrypt.daemon.volumes.OpenVolume;
import dev.klcrypt.daemon.volumes.VolumeEvents;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Wires {@link SystemdNotifier} into the daemon's life cycle: {@code STATUS=} while starting,
 * {@code READY=1} once every extension's {@code started} ran (so after the volume table's volumes
 * are open) and the control socket listens, a {@code STATUS=} line whenever a volume opens or
 * closes, watchdog pings when systemd asked for them (while the volumes filesystem is mounted and
 * answers), and {@code STOPPING=1} first thing on shutdown. Without {@code NOTIFY_SOCKET} it does
 * nothing and starts no thread.
 */
public final class SystemdNotifyExtension implements DaemonExtension {
  private final Map<String, String> environment;
  private EventLoopGroup group;
  private SystemdNotifier notifier = SystemdNotifier.disabled();

  /** For {@link java.util.ServiceLoader}: the process environment systemd set. */
  public SystemdNotifyExtension() {
    this(System.getenv());
  }

  /** With an explicit environment (tests). */
  public SystemdNotifyExtension(Map<String, String> environment) {
    this.environment = Map.copyOf(environment);
  }

  @Override
  public void started(DaemonContext context) {
    String socket = environment.get("NOTIFY_SOCKET");
    if (socket == null || socket.isEmpty()) {
      return;
    }
    group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    notifier = SystemdNotifier.fromEnvironment(environment, group);
    notifier.status("starting: volumes filesystem mounted at " + context.volumesMountPoint());
    context
        .volumes()
        .addListener(
            new VolumeEvents() {
              @Override
              public void opened(OpenVolume volume) {
                notifier.status(summary(context) + " (opened " + volume.name() + ")");
              }

              @Override
              public void closed(OpenVolume volume) {
                notifier.status(summary(context) + " (closed " + volume.name() + ")");
              }
            });
  }

  @Override
  public void ready(DaemonContext context) {
    notifier.ready(summary(context));
    notifier.startWatchdog(() -> volumesFilesystemAnswers(context.volumesMountPoint()));
  }

  /**
   * The watchdog's health probe: the volumes filesystem is still mounted here and answers a {@code
   * stat} of its root (a FUSE getattr served by the daemon: attribute caching is off). A mount that
   * was taken away misses the pings at once; a FUSE loop that hangs blocks the probe, which misses
   * them too. Either way systemd restarts the service after {@code WatchdogSec=}.
   */
  static boolean volumesFilesystemAnswers(Path mountPoint) {
    try {
      if (!MountTable.ofThisProcess().isFuseMount(mountPoint)) {
        return false;
      }
      Files.readAttributes(mountPoint, BasicFileAttributes.class);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void stopping(DaemonContext context) {
    notifier.stopping("stopping: closing " + context.volumes().list().size() + " volume(s)");
    notifier.close();
    if (group != null) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  private static String summary(DaemonContext context) {
    int open = context.volumes().list().size();
    return open
        + (open == 1 ? " volume" : " volumes")
        + " open under "
        + context.volumesMountPoint();
  }
}
