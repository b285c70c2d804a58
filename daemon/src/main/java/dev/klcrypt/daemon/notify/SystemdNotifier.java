package dev.klcrypt.daemon.notify;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells systemd how the service is doing, like {@code sd_notify(3)}: datagrams of newline-separated
 * {@code KEY=VALUE} assignments sent to {@code $NOTIFY_SOCKET} over a Netty epoll Unix datagram
 * channel. A socket name starting with {@code @} is in the abstract namespace. When {@code
 * NOTIFY_SOCKET} is unset (not started by systemd, or {@code Type=} other than notify) every call
 * is a no-op that returns {@code false}.
 *
 * <p>Protocol duties of the daemon (see {@code sd_notify(3)}): {@link #ready} once the table's
 * unattended volumes are open; {@link #reloading} when a SIGHUP reload starts and {@link #ready}
 * again when it is done; {@link #stopping} when shutdown starts; {@link #status} lines for humans
 * ({@code systemctl status}); {@link #startWatchdog} when the unit has {@code WatchdogSec=}.
 *
 * <p>Sending never throws: a failure is logged at WARN and reported as {@code false}, because
 * losing a status line must not take the volumes down. The notifier holds no secrets and sends
 * none.
 */
public final class SystemdNotifier implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SystemdNotifier.class);
  private static final long SEND_TIMEOUT_MILLIS = 2000;

  private final Channel channel;
  private final DomainSocketAddress target;
  private final String socketName;
  private final Optional<Duration> watchdogInterval;
  private volatile ScheduledFuture<?> watchdogTask;
  private boolean lastHealthy = true; // touched only on the event loop

  private SystemdNotifier(
      Channel channel,
      DomainSocketAddress target,
      String socketName,
      Optional<Duration> watchdogInterval) {
    this.channel = channel;
    this.target = target;
    this.socketName = socketName;
    this.watchdogInterval = watchdogInterval;
  }

  /** A notifier that sends nothing. */
  public static SystemdNotifier disabled() {
    return new SystemdNotifier(null, null, null, Optional.empty());
  }

  /**
   * A notifier for the environment systemd gave this process ({@code System.getenv()} in
   * production): {@code NOTIFY_SOCKET}, {@code WATCHDOG_USEC}, {@code WATCHDOG_PID}. Disabled when
   * {@code NOTIFY_SOCKET} is unset or unusable (a {@code vsock:} address, a relative path); the
   * reason is logged.
   *
   * @param group the event loop group that runs the datagram channel (epoll); the notifier does not
   *     shut it down
   */
  public static SystemdNotifier fromEnvironment(
      Map<String, String> environment, EventLoopGroup group) {
    String socket = environment.get("NOTIFY_SOCKET");
    if (socket == null || socket.isEmpty()) {
      log.debug("NOTIFY_SOCKET is not set: not notifying systemd");
      return disabled();
    }
    Optional<DomainSocketAddress> address = address(socket);
    if (address.isEmpty()) {
      log.warn(
          "NOTIFY_SOCKET={} is neither an absolute path nor an abstract name (@...): not notifying systemd",
          socket);
      return disabled();
    }
    Channel channel;
    try {
      channel =
          new Bootstrap()
              .group(group)
              .channel(EpollDomainDatagramChannel.class)
              .handler(new ChannelInboundHandlerAdapter())
              // an empty address asks the kernel to autobind a unique abstract name, which makes
              // the
              // channel active without tying it to the receiver (each datagram names NOTIFY_SOCKET)
              .bind(new DomainSocketAddress(""))
              .syncUninterruptibly()
              .channel();
    } catch (RuntimeException e) {
      log.warn("cannot open a datagram socket for NOTIFY_SOCKET={}: {}", socket, e.toString());
      return disabled();
    }
    Optional<Duration> watchdog =
        WatchdogSettings.pingInterval(environment, ProcessHandle.current().pid());
    return new SystemdNotifier(channel, address.get(), socket, watchdog);
  }

  /**
   * The datagram address for a {@code NOTIFY_SOCKET} value, or empty when klcrypt cannot send
   * there.
   */
  static Optional<DomainSocketAddress> address(String notifySocket) {
    if (notifySocket.startsWith("@") && notifySocket.length() > 1) {
      return Optional.of(new DomainSocketAddress("\0" + notifySocket.substring(1)));
    }
    if (notifySocket.startsWith("/")) {
      return Optional.of(new DomainSocketAddress(notifySocket));
    }
    return Optional.empty();
  }

  /** True when messages go somewhere. */
  public boolean enabled() {
    return channel != null;
  }

  /**
   * The interval {@link #startWatchdog} pings at (half of {@code WATCHDOG_USEC}), when systemd
   * asked for one.
   */
  public Optional<Duration> watchdogInterval() {
    return enabled() ? watchdogInterval : Optional.empty();
  }

  /** {@code READY=1} with a status line: start-up (or a reload) is complete. */
  public boolean ready(String status) {
    return send("READY=1", "STATUS=" + oneLine(status));
  }

  /**
   * {@code RELOADING=1} with {@code MONOTONIC_USEC} (CLOCK_MONOTONIC, which {@link System#nanoTime}
   * reads on Linux): a reload started; send {@link #ready} when it is done.
   */
  public boolean reloading(String status) {
    return send(
        "RELOADING=1",
        "MONOTONIC_USEC=" + TimeUnit.NANOSECONDS.toMicros(System.nanoTime()),
        "STATUS=" + oneLine(status));
  }

  /** {@code STOPPING=1}: shutdown began (volumes are being closed). */
  public boolean stopping(String status) {
    return send("STOPPING=1", "STATUS=" + oneLine(status));
  }

  /** {@code STATUS=...}: a free-form line shown by {@code systemctl status}. */
  public boolean status(String status) {
    return send("STATUS=" + oneLine(status));
  }

  /** {@code WATCHDOG=1}: the service is alive. */
  public boolean watchdog() {
    return send("WATCHDOG=1");
  }

  /**
   * Sends {@code WATCHDOG=1} every {@link #watchdogInterval} on the notifier's event loop, as long
   * as {@code healthy} says so (a stuck daemon then misses pings and systemd restarts it). Does
   * nothing when systemd asked for no watchdog. Calling it again replaces the previous schedule.
   */
  public void startWatchdog(BooleanSupplier healthy) {
    Optional<Duration> interval = watchdogInterval();
    if (interval.isEmpty()) {
      return;
    }
    long nanos = interval.get().toNanos();
    stopWatchdog();
    watchdogTask =
        channel
            .eventLoop()
            .scheduleAtFixedRate(
                () -> {
                  boolean ok = healthy.getAsBoolean();
                  if (ok) {
                    sendAsync("WATCHDOG=1");
                  }
                  if (ok != lastHealthy) {
                    lastHealthy = ok;
                    if (ok) {
                      log.info("healthy again: WATCHDOG=1 pings resumed");
                    } else {
                      log.warn("unhealthy: holding back WATCHDOG=1 pings so systemd can act");
                    }
                  }
                },
                nanos,
                nanos,
                TimeUnit.NANOSECONDS);
  }

  /** Stops the periodic watchdog pings, if any. */
  public void stopWatchdog() {
    ScheduledFuture<?> task = watchdogTask;
    if (task != null) {
      task.cancel(false);
      watchdogTask = null;
    }
  }

  /**
   * Sends one datagram with these assignments and waits until the kernel took it.
   *
   * @return true when sent; false when disabled or sending failed (logged)
   */
  public boolean send(String... assignments) {
    if (!enabled()) {
      return false;
    }
    ChannelFuture sent = sendAsync(assignments);
    if (channel.eventLoop().inEventLoop()) {
      return true; // cannot wait on our own loop; failures are logged by the listener
    }
    if (!sent.awaitUninterruptibly(SEND_TIMEOUT_MILLIS)) {
      log.warn("sd_notify to {} did not complete in {} ms", socketName, SEND_TIMEOUT_MILLIS);
      return false;
    }
    return sent.isSuccess();
  }

  private ChannelFuture sendAsync(String... assignments) {
    byte[] bytes = String.join("\n", assignments).getBytes(StandardCharsets.UTF_8);
    // one contiguous buffer: Netty's gathering write path would send a wrong address length for
    // abstract names
    ByteBuf buf = channel.alloc().directBuffer(bytes.length).writeBytes(bytes);
    ChannelFuture future = channel.writeAndFlush(new DomainDatagramPacket(buf, target));
    future.addListener(
        f -> {
          if (!f.isSuccess()) {
            log.warn(
                "sd_notify {} to {} failed: {}", assignments[0], socketName, f.cause().toString());
          } else if (log.isDebugEnabled()) {
            log.debug("sd_notify to {}: {}", socketName, String.join(" ", assignments));
          }
        });
    return future;
  }

  private static String oneLine(String text) {
    return text.replace('\n', ' ').replace('\r', ' ');
  }

  /** Stops the watchdog and closes the datagram channel; the event loop group stays up. */
  @Override
  public void close() {
    stopWatchdog();
    if (channel != null) {
      channel.close().awaitUninterruptibly(SEND_TIMEOUT_MILLIS);
    }
  }
}
