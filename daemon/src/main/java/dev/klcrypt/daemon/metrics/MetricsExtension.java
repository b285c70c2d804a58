package dev.klcrypt.daemon.metrics;

import dev.klcrypt.daemon.DaemonContext;
import dev.klcrypt.daemon.DaemonExtension;
import dev.klcrypt.daemon.config.DaemonConfig;
import dev.klcrypt.daemon.table.TableHealth;
import dev.klcrypt.daemon.volumes.OpenVolume;
import dev.klcrypt.daemon.volumes.VolumeEvents;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires {@link KlcryptMetrics} into the daemon: FUSE ops and errors through the {@code FuseGuard}
 * listener, the emulated platform's counters and state, the open-volume count, a volume's series
 * dropped when it closes, {@code GET /metrics} on the control socket, and the loopback TCP listener
 * when {@code metrics.tcpPort} is set. Limits come from the daemon config file when there is one,
 * else from the defaults.
 */
public final class MetricsExtension implements DaemonExtension {
  private static final Logger log = LoggerFactory.getLogger(MetricsExtension.class);

  private static final Duration MAX_HTTP_WAIT = Duration.ofSeconds(10);

  private final KlcryptMetrics metrics = new KlcryptMetrics();
  private EventLoopGroup tcpGroup;
  private MetricsHttpServer tcp;

  /** The registry this extension feeds (e.g. for other extensions' counters, or tests). */
  public KlcryptMetrics metrics() {
    return metrics;
  }

  @Override
  public void started(DaemonContext context) throws Exception {
    DaemonConfig config =
        context.configFile().isPresent()
            ? DaemonConfig.load(context.configFile().get())
            : DaemonConfig.forRuntimeDir(context.runtimeDir());
    // a scrape is answered at once; a client that stalls mid-request is dropped after at most 10 s
    Duration httpTimeout =
        config.controlRequestTimeout().compareTo(MAX_HTTP_WAIT) < 0
            ? config.controlRequestTimeout()
            : MAX_HTTP_WAIT;
    context.fuseGuard().listener(metrics.fuseListener());
    metrics.bindPlatform(context.platform());
    metrics.openVolumes(() -> context.volumes().list().size());
    metrics.tableProblems(() -> TableHealth.problems(context.runtimeDir()));
    context
        .volumes()
        .addListener(
            new VolumeEvents() {
              @Override
              public void closed(OpenVolume volume) {
                metrics.removeVolume(volume.name());
              }
            });
    context
        .control()
        .httpRoute(MetricsHttpHandler.route(metrics, config.controlMaxRequestBytes(), httpTimeout));
    if (config.metricsTcpPort() > 0) {
      tcpGroup = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
      tcp =
          MetricsHttpServer.start(
              tcpGroup,
              config.metricsTcpPort(),
              metrics,
              config.controlMaxRequestBytes(),
              httpTimeout);
      log.info(
          "metrics also served at http://{}:{}/metrics",
          tcp.address().getHostString(),
          tcp.address().getPort());
    }
  }

  @Override
  public void stopping(DaemonContext context) {
    if (tcp != null) {
      tcp.close();
    }
    if (tcpGroup != null) {
      tcpGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }
}
